import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keyId, loadSealKey, SealKeyError, sealToken, unsealToken } from '../../src/token/seal';

describe('token sealing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    // Key by key: process.env stays Node's own object for the files that share this fork.
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('round-trips, and the sealed form does not contain the token', () => {
    const key = randomBytes(32);
    const sealed = sealToken('tok_secret_123', key);
    expect(sealed).not.toContain('tok_secret_123');
    expect(sealed.startsWith(`cs1.${keyId(key)}.`)).toBe(true);
    expect(unsealToken(sealed, key)).toBe('tok_secret_123');
    expect(sealToken('tok_secret_123', key)).not.toBe(sealed); // a fresh IV each time
  });

  it('names both keys when the wrong key tries to open a token', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(() => unsealToken(sealToken('t', a), b)).toThrow(SealKeyError);
    expect(() => unsealToken(sealToken('t', a), b)).toThrow(
      `sealed with key ${keyId(a)} but this process has key ${keyId(b)}`,
    );
  });

  it('refuses a tampered token instead of returning garbage', () => {
    const key = randomBytes(32);
    const parts = sealToken('token', key).split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => unsealToken(parts.join('.'), key)).toThrow(/does not decrypt/);
    expect(() => unsealToken('plain-token', key)).toThrow(/malformed/);
  });

  it('creates a private key file on first use and reads it back; without create it says what to set', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-key-'));
    delete process.env.CLIENTSYNC_SEAL_KEY;
    process.env.CLIENTSYNC_KEY_FILE = path.join(dir, 'sub', 'seal.key');
    await expect(loadSealKey()).rejects.toThrow(
      /no sealing key: .*seal.key does not exist; set CLIENTSYNC_SEAL_KEY or CLIENTSYNC_KEY_FILE/,
    );
    const created = await loadSealKey({ create: true });
    expect(created.length).toBe(32);
    expect((await stat(process.env.CLIENTSYNC_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect((await loadSealKey()).equals(created)).toBe(true);
    expect((await readFile(process.env.CLIENTSYNC_KEY_FILE, 'utf8')).trim()).toBe(created.toString('base64'));
    await rm(dir, { recursive: true, force: true });
  });

  it('takes CLIENTSYNC_SEAL_KEY first and rejects a short one', async () => {
    const key = randomBytes(32);
    process.env.CLIENTSYNC_SEAL_KEY = key.toString('base64');
    expect((await loadSealKey()).equals(key)).toBe(true);
    process.env.CLIENTSYNC_SEAL_KEY = randomBytes(16).toString('base64');
    await expect(loadSealKey()).rejects.toThrow(/must hold a base64 32-byte key \(got 16 bytes\)/);
  });
});
