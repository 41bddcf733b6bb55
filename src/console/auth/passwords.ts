import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from '../../contract/errors';
import type { Role } from './session';

// The one-machine sign-in: an operator password (and optionally a viewer's), each from a file or the
// environment. The console keeps only their scrypt hashes; a file may hold the hash itself, made by
// `clientsync console --hash-password`, so the password is written nowhere.

const PREFIX = 'scrypt';
const PARAMS: ScryptOptions & { N: number; r: number; p: number } = { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 };

function derive(password: string, salt: Buffer, p: typeof PARAMS): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, 32, p, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, all base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return [PREFIX, PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Whether `password` is the one `hash` was made from; constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [prefix, N, r, p, salt, expected] = hash.split('$');
  if (prefix !== PREFIX || !salt || !expected) return false;
  const want = Buffer.from(expected, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(N),
    r: Number(r),
    p: Number(p),
    maxmem: PARAMS.maxmem,
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

export const isHash = (text: string) => text.startsWith(`${PREFIX}$`);

/** A password's hash, from a file's or the environment's text: a hash is kept as it is, a password is hashed. */
async function hashOf(text: string, from: string): Promise<string> {
  const value = text.trim();
  if (value.length < 12 && !isHash(value))
    throw new UserError(`${from} holds a password of ${value.length} characters; use at least 12`);
  return isHash(value) ? value : hashPassword(value);
}

export interface PasswordSources {
  operatorFile?: string;
  viewerFile?: string;
}

/** The hash of each role's password: from --password-file / --viewer-password-file, else the environment. */
export async function loadPasswords(
  sources: PasswordSources,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Partial<Record<Role, string>>> {
  const read = async (file: string | undefined, flag: string, envName: string) => {
    if (file) {
      const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new UserError(`${flag} ${file} cannot be read (${err.code ?? err.message}); check the path`);
      });
      return hashOf(text, `${flag} ${file}`);
    }
    return env[envName] ? hashOf(env[envName], envName) : undefined;
  };
  const operator = await read(sources.operatorFile, '--password-file', 'CLIENTSYNC_CONSOLE_PASSWORD');
  const viewer = await read(sources.viewerFile, '--viewer-password-file', 'CLIENTSYNC_CONSOLE_VIEWER_PASSWORD');
  return { ...(operator ? { operator } : {}), ...(viewer ? { viewer } : {}) };
}

/** The role whose password this is, or undefined. Both hashes are always checked, so timing says nothing. */
export async function roleOfPassword(
  password: string,
  hashes: Partial<Record<Role, string>>,
): Promise<Role | undefined> {
  const [operator, viewer] = await Promise.all([
    hashes.operator ? verifyPassword(password, hashes.operator) : false,
    hashes.viewer ? verifyPassword(password, hashes.viewer) : false,
  ]);
  return operator ? 'operator' : viewer ? 'viewer' : undefined;
}
