import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeRefreshToken, type RefreshTokenInput, type RefreshTokenOutput } from '../../src/activities/refresh-token';
import { FailureTypes } from '../../src/contract/failures';
import { sealToken, unsealToken } from '../../src/token/seal';
import { jwtExpiry } from '../../src/token/token-expiry';
import {
  TokenRefusedError,
  tokenProviderFromEnv,
  type IssuedToken,
  type TokenProvider,
} from '../../src/token/token-provider';
import { startOAuthServer, type OAuthServer } from '../helpers/oauth-server';

const jwt = (exp?: number) =>
  new SignJWT(exp === undefined ? {} : { exp })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('a-test-signing-key-of-32-bytes!!'));

describe("the workers' token provider", () => {
  it('is none for a static API_TOKEN, and named for each kind of source', () => {
    expect(tokenProviderFromEnv({ API_TOKEN: 't' })).toBeUndefined();
    expect(tokenProviderFromEnv({ API_TOKEN_COMMAND: 'echo t' })!.name).toBe('API_TOKEN_COMMAND');
    expect(tokenProviderFromEnv({ API_TOKEN_FILE: '/run/token' })!.name).toBe('API_TOKEN_FILE /run/token');
    const oauth = {
      API_OAUTH_TOKEN_URL: 'https://idp.example/oauth/token',
      API_OAUTH_CLIENT_ID: 'c',
      API_OAUTH_CLIENT_SECRET: 's3cret',
    };
    expect(tokenProviderFromEnv(oauth)!.name).toBe('OAuth client credentials at https://idp.example/oauth/token');
    expect(tokenProviderFromEnv({ ...oauth, API_OAUTH_REFRESH_TOKEN: 'r' })!.name).toBe(
      'OAuth refresh token at https://idp.example/oauth/token',
    );
  });

  it.each([
    [
      'not a URL',
      { API_OAUTH_TOKEN_URL: 'idp/token', API_OAUTH_CLIENT_ID: 'c' },
      /API_OAUTH_TOKEN_URL is not a URL: idp\/token; set it to/,
    ],
    [
      'plain http to another host',
      { API_OAUTH_TOKEN_URL: 'http://idp.example/token', API_OAUTH_CLIENT_ID: 'c' },
      /must be https \(plain http only to localhost\)/,
    ],
    [
      'no client id',
      { API_OAUTH_TOKEN_URL: 'https://idp.example/token' },
      /API_OAUTH_CLIENT_ID is not; set the client id/,
    ],
  ])('refuses OAuth settings with %s, naming the fix', (_name, env, message) => {
    expect(() => tokenProviderFromEnv(env)).toThrow(message);
  });

  it("reads a command's token and a JWT's expiry; an empty answer is a refusal, not an outage", async () => {
    const token = await jwt(2_000_000_000);
    expect(await tokenProviderFromEnv({ API_TOKEN_COMMAND: `printf '%s\\n' ${token}` })!.issue()).toEqual({
      token,
      expiresAt: 2_000_000_000_000,
    });
    await expect(tokenProviderFromEnv({ API_TOKEN_COMMAND: 'true' })!.issue()).rejects.toThrow(TokenRefusedError);
    const dir = await mkdtemp(path.join(tmpdir(), 'token-'));
    await writeFile(path.join(dir, 't'), 'opaque\n');
    expect(await tokenProviderFromEnv({ API_TOKEN_FILE: path.join(dir, 't') })!.issue()).toEqual({ token: 'opaque' });
    await expect(tokenProviderFromEnv({ API_TOKEN_FILE: path.join(dir, 'missing') })!.issue()).rejects.toThrow(
      /missing or empty/,
    );
  });

  it('reads the expiry of a JWT only', async () => {
    expect(jwtExpiry(await jwt(1_900_000_000))).toBe(1_900_000_000_000);
    expect(jwtExpiry(await jwt())).toBeUndefined();
    expect(jwtExpiry('tok_abc')).toBeUndefined();
  });

  describe('OAuth client credentials against oidc-provider', () => {
    let oauth: OAuthServer;
    beforeEach(async () => void (oauth = await startOAuthServer({ ttlSeconds: 60 })));
    afterEach(async () => oauth.close());
    const env = () => ({
      API_OAUTH_TOKEN_URL: oauth.tokenUrl,
      API_OAUTH_CLIENT_ID: oauth.clientId,
      API_OAUTH_CLIENT_SECRET: oauth.clientSecret,
    });

    it("gets a JWT access token and its lifetime from the server's expires_in", async () => {
      const issued = await tokenProviderFromEnv(env())!.issue();
      expect(issued.token.split('.')).toHaveLength(3);
      expect(issued.expiresAt! - Date.now()).toBeGreaterThan(55_000);
      expect(issued.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000);
    });

    it('uses the refresh-token grant when given one: rotated, each refresh token is good once, the latest one next', async () => {
      const first = await oauth.mintRefreshToken();
      const provider = tokenProviderFromEnv({ ...env(), API_OAUTH_REFRESH_TOKEN: first })!;
      expect(provider.name).toMatch(/^OAuth refresh token at /);
      const a = await provider.issue();
      expect(a.refreshToken).toBeDefined();
      expect(a.refreshToken).not.toBe(first);
      const b = await provider.issue(a.refreshToken);
      expect(b.token).not.toBe(a.token);
      expect(b.expiresAt! - Date.now()).toBeGreaterThan(50_000);
      await expect(provider.issue(first)).rejects.toThrow(/the authorization server refused: invalid_grant/);
    });

    it('calls a revoked secret a refusal (invalid_client) and an unreachable server an outage', async () => {
      const provider = tokenProviderFromEnv(env())!;
      await oauth.revokeSecret();
      await expect(provider.issue()).rejects.toThrow(
        new TokenRefusedError('the authorization server refused: invalid_client (client authentication failed)'),
      );
      await oauth.close();
      const err = await provider.issue().catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(TokenRefusedError);
      expect((err as Error).message).toMatch(/^the authorization server did not answer/);
      oauth = await startOAuthServer({ ttlSeconds: 60 }); // for afterEach
    });
  });
});

describe('the refreshToken activity', () => {
  const key = randomBytes(32);
  const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  const run = (activity: ReturnType<typeof makeRefreshToken>, input: RefreshTokenInput): Promise<RefreshTokenOutput> =>
    env.run(activity, input);
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as ApplicationFailure,
    );

  it('seals the new token and shares one request among refreshes that overlap', async () => {
    let requests = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const provider: TokenProvider = {
      name: 'test',
      async issue(): Promise<IssuedToken> {
        requests++;
        await gate;
        return { token: `t${requests}`, expiresAt: 123 };
      },
    };
    const refreshToken = makeRefreshToken(provider, async () => key);
    const both = Promise.all([1, 2].map((n) => run(refreshToken, { batchId: `b${n}`, why: 'proactive' })));
    release();
    const [a, b] = (await both) as [RefreshTokenOutput, RefreshTokenOutput];
    expect(requests).toBe(1);
    expect(unsealToken(a.sealedToken, key)).toBe('t1');
    expect(unsealToken(b.sealedToken, key)).toBe('t1');
    expect(a).toMatchObject({ expiresAt: 123, provider: 'test' });
    expect(a.sealedRefreshToken).toBeUndefined();
    const rotating: TokenProvider = {
      name: 'r',
      issue: async (rt) => ({ token: `for-${rt}`, refreshToken: `after-${rt}` }),
    };
    const out = await run(
      makeRefreshToken(rotating, async () => key),
      { batchId: 'b', why: 'expired', sealedRefreshToken: sealToken('rt1', key) },
    );
    expect(unsealToken(out.sealedToken, key)).toBe('for-rt1'); // the batch's latest refresh token was used…
    expect(unsealToken(out.sealedRefreshToken!, key)).toBe('after-rt1'); // …and the rotated one comes back sealed
    expect(a.sealedToken).not.toContain('t1');
  });

  it('refuses to hand back the token that just expired, and says when the workers have no provider', async () => {
    const same: TokenProvider = { name: 'API_TOKEN_FILE /run/token', issue: async () => ({ token: 'stale' }) };
    const refused = await failureOf(
      run(
        makeRefreshToken(same, async () => key),
        { batchId: 'b', why: 'expired', current: sealToken('stale', key) },
      ),
    );
    expect(refused).toMatchObject({
      type: FailureTypes.TokenRefused,
      nonRetryable: true,
      message: 'API_TOKEN_FILE /run/token gave the same token that just expired',
    });
    const none = await failureOf(
      run(
        makeRefreshToken(undefined, async () => key),
        { batchId: 'b', why: 'expired' },
      ),
    );
    expect(none).toMatchObject({ type: FailureTypes.NoTokenProvider, nonRetryable: true });
    const down: TokenProvider = {
      name: 'x',
      issue: async () => Promise.reject(new Error('the authorization server did not answer: ECONNREFUSED')),
    };
    const outage = await failureOf(
      run(
        makeRefreshToken(down, async () => key),
        { batchId: 'b', why: 'expired' },
      ),
    );
    expect(outage).toMatchObject({ type: FailureTypes.Transient, nonRetryable: false });
  });
});
