import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatSealed, parseSealed } from '../contract/sealed-token';
import { UserError } from '../contract/errors';
import { stateDir } from '../domain/paths';

// The API token travels through Temporal only sealed (AES-256-GCM) with a key that the CLI and the
// workers share. Everything else in history stays readable in Temporal Web without a codec server.

/** A missing, malformed or wrong sealing key. Never falls back to plaintext. */
export class SealKeyError extends UserError {
  override name = 'SealKeyError';
}

/** A short fingerprint of a key, so errors can say which key sealed a token. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function sealToken(token: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return formatSealed({
    keyId: keyId(key),
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    ciphertext: ct.toString('base64url'),
  });
}

export function unsealToken(sealed: string, key: Buffer): string {
  const parts = parseSealed(sealed);
  if (!parts) throw new SealKeyError('the sealed token is malformed; refresh it with `clientsync refresh-token`');
  const { keyId: id, iv, tag, ciphertext: ct } = parts;
  if (id !== keyId(key)) {
    throw new SealKeyError(
      `the token was sealed with key ${id} but this process has key ${keyId(key)}; give the workers the CLI's CLIENTSYNC_SEAL_KEY or key file`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealKeyError(
      `the sealed token does not decrypt with key ${id}; it was tampered with or the key file changed`,
    );
  }
}

export function keyFilePath(): string {
  return process.env.CLIENTSYNC_KEY_FILE || path.join(stateDir(), 'seal.key');
}

function decodeKey(text: string, from: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw new SealKeyError(
      `${from} must hold a base64 32-byte key (got ${key.length} bytes); generate one with \`openssl rand -base64 32\``,
    );
  return key;
}

/**
 * The sealing key: CLIENTSYNC_SEAL_KEY (base64), else the key file (CLIENTSYNC_KEY_FILE or .clientsync/seal.key).
 * With `create`, a local setup gets a new key file on first use.
 */
export async function loadSealKey(options: { create?: boolean } = {}): Promise<Buffer> {
  const fromEnv = process.env.CLIENTSYNC_SEAL_KEY;
  if (fromEnv) return decodeKey(fromEnv, 'CLIENTSYNC_SEAL_KEY');
  const file = keyFilePath();
  try {
    return decodeKey(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (!options.create) {
      throw new SealKeyError(
        `no sealing key: ${file} does not exist; set CLIENTSYNC_SEAL_KEY or CLIENTSYNC_KEY_FILE to the key the CLI uses`,
      );
    }
  }
  const key = randomBytes(32);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(
    async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    },
  );
  await chmod(file, 0o600);
  return decodeKey(await readFile(file, 'utf8'), file); // another process may have won the race: use its key
}
