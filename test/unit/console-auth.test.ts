import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPassword, loadPasswords, roleOfPassword, verifyPassword } from '../../src/console/auth/passwords';
import { safeReturn } from '../../src/console/guards';
import { signAlertLink, signOperatorLink, verifyAlertLink } from '../../src/token/alert-link';

describe("the console's passwords", () => {
  it('keeps a hash that verifies the password and nothing else', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('horse');
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', hash)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });

  it('tells the roles apart, and takes a hash from the environment as it is', async () => {
    const viewerHash = await hashPassword('a viewer only looks, 42');
    const hashes = await loadPasswords(
      {},
      { CLIENTSYNC_CONSOLE_PASSWORD: 'operator password 1', CLIENTSYNC_CONSOLE_VIEWER_PASSWORD: viewerHash },
    );
    expect(hashes.viewer).toBe(viewerHash);
    expect(await roleOfPassword('operator password 1', hashes)).toBe('operator');
    expect(await roleOfPassword('a viewer only looks, 42', hashes)).toBe('viewer');
    expect(await roleOfPassword('neither', hashes)).toBeUndefined();
  });

  it('refuses a short password and a file it cannot read, naming the fix', async () => {
    await expect(loadPasswords({}, { CLIENTSYNC_CONSOLE_PASSWORD: 'short' })).rejects.toThrow(
      'CLIENTSYNC_CONSOLE_PASSWORD holds a password of 5 characters; use at least 12',
    );
    await expect(loadPasswords({ operatorFile: '/no/such/file' }, {})).rejects.toThrow(
      '--password-file /no/such/file cannot be read (ENOENT); check the path',
    );
  });
});

describe('where sign-in returns to', () => {
  it('is a path on this console, never another site', () => {
    expect(safeReturn('/batches/b-1')).toBe('/batches/b-1');
    for (const evil of [
      '//evil.example/',
      '/\\evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      undefined,
    ])
      expect(safeReturn(evil)).toBe('/');
  });
});

describe("an alert's link", () => {
  const key = randomBytes(32);
  it('names its batch, and is refused when forged, expired, or signed with another key', async () => {
    const link = await signAlertLink('http://console.example/', 'b-1', key);
    expect(link).toMatch(/^http:\/\/console\.example\/link\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const jwt = link.split('/link/')[1]!;
    expect(await verifyAlertLink(jwt, key)).toMatchObject({ batchId: 'b-1', linkId: expect.any(String) });
    await expect(verifyAlertLink(jwt, randomBytes(32))).rejects.toThrow(/not one the console issued/);
    await expect(verifyAlertLink(`${jwt.slice(0, -2)}AA`, key)).rejects.toThrow(/not one the console issued/);
    const old = (await signAlertLink('http://c', 'b-1', key, 1000, Date.now() - 5000)).split('/link/')[1]!;
    await expect(verifyAlertLink(old, key)).rejects.toThrow(/has expired/);
  });

  it('signs in as an operator only when it says so', async () => {
    const jwt = (await signOperatorLink('http://c', key, 60_000)).split('/link/')[1]!;
    const claims = await verifyAlertLink(jwt, key);
    expect(claims.operator).toBe(true);
    expect(claims.batchId).toBeUndefined();
  });
});
