import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as oauth from 'openid-client';
import { isLoopback } from '../domain/loopback';
import { jwtExpiry } from './token-expiry';

const exec = promisify(execFile);

/** A token as a provider issued it. */
export interface IssuedToken {
  token: string;
  /** When it expires (ms since epoch): the provider's `expires_in`, else the JWT's `exp`; absent: unknown. */
  expiresAt?: number;
  /** A rotated refresh token (the refresh-token grant), to use instead of the one the provider started with. */
  refreshToken?: string;
}

/** Where a worker gets a new token without a person. */
export interface TokenProvider {
  /** For people: e.g. `OAuth client credentials at https://idp/token`. Never a secret. */
  readonly name: string;
  /** A new token; `refreshToken`: the latest rotated refresh token, for the refresh-token grant. */
  issue(refreshToken?: string): Promise<IssuedToken>;
}

/** The provider refused, and asking again will not help (a revoked secret, an empty file): a person must act. */
export class TokenRefusedError extends Error {
  override name = 'TokenRefusedError';
}

/**
 * The workers' token provider, from their environment: API_OAUTH_TOKEN_URL (client credentials, or the
 * refresh-token grant with API_OAUTH_REFRESH_TOKEN), else API_TOKEN_COMMAND, else API_TOKEN_FILE.
 * Undefined: none (a static API_TOKEN is not a provider: it cannot give a new token).
 */
export function tokenProviderFromEnv(env: NodeJS.ProcessEnv = process.env): TokenProvider | undefined {
  if (env.API_OAUTH_TOKEN_URL) return oauthProvider(env);
  if (env.API_TOKEN_COMMAND) return commandProvider(env.API_TOKEN_COMMAND);
  if (env.API_TOKEN_FILE) return fileProvider(env.API_TOKEN_FILE);
  return undefined;
}

function commandProvider(command: string): TokenProvider {
  return {
    name: 'API_TOKEN_COMMAND',
    async issue() {
      const { stdout } = await exec('/bin/sh', ['-c', command], { timeout: 30_000 });
      const token = stdout.trim();
      if (!token) throw new TokenRefusedError('API_TOKEN_COMMAND printed no token');
      return withExpiry(token);
    },
  };
}

function fileProvider(file: string): TokenProvider {
  return {
    name: `API_TOKEN_FILE ${file}`,
    async issue() {
      const token = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (!token) throw new TokenRefusedError(`API_TOKEN_FILE ${file} is missing or empty`);
      return withExpiry(token);
    },
  };
}

function withExpiry(token: string, expiresInSeconds?: number): IssuedToken {
  const expiresAt = expiresInSeconds !== undefined ? Date.now() + expiresInSeconds * 1000 : jwtExpiry(token);
  return expiresAt === undefined ? { token } : { token, expiresAt };
}

/** Reads and checks the API_OAUTH_* variables; a bad value is named with its fix. */
export function oauthSettings(env: NodeJS.ProcessEnv) {
  const tokenUrl = env.API_OAUTH_TOKEN_URL ?? '';
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new TokenRefusedError(
      `API_OAUTH_TOKEN_URL is not a URL: ${tokenUrl}; set it to the authorization server's token endpoint`,
    );
  }
  const loopback = isLoopback(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TokenRefusedError(`API_OAUTH_TOKEN_URL must be https (plain http only to localhost): ${url.origin}`);
  }
  const clientId = env.API_OAUTH_CLIENT_ID;
  if (!clientId)
    throw new TokenRefusedError(
      'API_OAUTH_TOKEN_URL is set but API_OAUTH_CLIENT_ID is not; set the client id the authorization server issued',
    );
  const extra: Record<string, string> = {};
  if (env.API_OAUTH_SCOPE) extra.scope = env.API_OAUTH_SCOPE;
  if (env.API_OAUTH_AUDIENCE) extra.audience = env.API_OAUTH_AUDIENCE;
  if (env.API_OAUTH_RESOURCE) extra.resource = env.API_OAUTH_RESOURCE;
  return {
    url,
    loopback,
    clientId,
    clientSecret: env.API_OAUTH_CLIENT_SECRET,
    refreshToken: env.API_OAUTH_REFRESH_TOKEN,
    extra,
  };
}

function oauthProvider(env: NodeJS.ProcessEnv): TokenProvider {
  const s = oauthSettings(env);
  const grant = s.refreshToken ? 'refresh token' : 'client credentials';
  let config: oauth.Configuration | undefined;
  const configuration = () => {
    if (config) return config;
    const auth = s.clientSecret ? oauth.ClientSecretBasic(s.clientSecret) : oauth.None();
    config = new oauth.Configuration({ issuer: s.url.origin, token_endpoint: s.url.href }, s.clientId, undefined, auth);
    if (s.loopback) oauth.allowInsecureRequests(config);
    return config;
  };
  return {
    name: `OAuth ${grant} at ${s.url.origin}${s.url.pathname}`,
    async issue(latestRefreshToken) {
      try {
        const refreshToken = latestRefreshToken ?? s.refreshToken;
        const res = refreshToken
          ? await oauth.refreshTokenGrant(configuration(), refreshToken, s.extra)
          : await oauth.clientCredentialsGrant(configuration(), s.extra);
        return {
          ...withExpiry(res.access_token, res.expiresIn()),
          ...(res.refresh_token ? { refreshToken: res.refresh_token } : {}),
        };
      } catch (err) {
        const refusal = oauthRefusal(err);
        if (refusal) {
          // A 4xx OAuth error (invalid_client, invalid_grant, …) means these credentials do not work: asking again will
          // not help.
          if (refusal.status < 500 && refusal.status !== 429)
            throw new TokenRefusedError(`the authorization server refused: ${refusal.said}`);
          throw new Error(`the authorization server answered ${refusal.status}: ${refusal.said}`);
        }
        throw new Error(`the authorization server did not answer: ${(err as Error).message}`);
      }
    },
  };
}

/** The OAuth error an authorization server answered, from its body or its WWW-Authenticate challenge (a 401). */
function oauthRefusal(err: unknown): { status: number; said: string } | undefined {
  const say = (error?: string, description?: string) =>
    `${error ?? 'an error'}${description ? ` (${description})` : ''}`;
  if (err instanceof oauth.ResponseBodyError)
    return { status: err.status, said: say(err.error, err.error_description) };
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const p = err.cause[0]?.parameters;
    return { status: err.status, said: say(p?.error, p?.error_description) };
  }
  return undefined;
}

/** No token could be had from the workers' own source. */
export class NoTokenError extends Error {
  override name = 'NoTokenError';
}

/**
 * The workers' own token, used when a batch or a `tokenRefreshed` signal carries no token: their
 * provider's (see tokenProviderFromEnv), else API_TOKEN. Read again on each refresh.
 */
export async function readWorkerToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const provider = tokenProviderFromEnv(env);
  if (provider) {
    try {
      return (await provider.issue()).token;
    } catch (err) {
      if (err instanceof TokenRefusedError) throw new NoTokenError(err.message);
      throw err;
    }
  }
  if (env.API_TOKEN) return env.API_TOKEN.trim();
  throw new NoTokenError(
    'no token: the batch carries none and the worker has no API_TOKEN, API_TOKEN_FILE, API_TOKEN_COMMAND or API_OAUTH_TOKEN_URL',
  );
}
