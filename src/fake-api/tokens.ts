import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';

/** What the fake API knows of a token it accepts. */
export interface TokenState {
  successes: number;
  issuedAt: number;
  revoked: boolean;
  /** A JWT's `exp` (ms since epoch). */
  expiresAt?: number;
}

/** When a token dies: after N successful calls, after S seconds (0: never). */
export interface ExpiryRules {
  expireAfter?: number;
  tokenTtlSeconds?: number;
  /** Also accept JWT access tokens signed by the keys at `jwksUrl`, for `audience` when given. */
  jwt?: { jwksUrl: string; audience?: string };
}

/** The fake API's tokens: those it issued, and JWTs from an authorization server, checked once and then kept. */
export class TokenBook {
  private readonly tokens = new Map<string, TokenState>();
  private jwks: { url: string; keys: ReturnType<typeof createRemoteJWKSet> } | undefined;

  constructor(private readonly rules: () => ExpiryRules) {}

  issue(): string {
    const token = `tok_${randomBytes(12).toString('hex')}`;
    this.tokens.set(token, { successes: 0, issuedAt: Date.now(), revoked: false });
    return token;
  }

  issued(): string[] {
    return [...this.tokens.keys()];
  }

  revokeAll(): void {
    this.tokens.forEach((t) => (t.revoked = true));
  }

  /** The token a request presented: known, an expired JWT, or unknown (undefined). */
  async find(presented: string): Promise<TokenState | 'expired' | undefined> {
    return this.tokens.get(presented) ?? (await this.fromJwt(presented));
  }

  isExpired(t: TokenState): boolean {
    const { expireAfter, tokenTtlSeconds } = this.rules();
    return (
      t.revoked ||
      (t.expiresAt !== undefined && Date.now() >= t.expiresAt) ||
      (!!expireAfter && t.successes >= expireAfter) ||
      (!!tokenTtlSeconds && Date.now() - t.issuedAt >= tokenTtlSeconds * 1000)
    );
  }

  private async fromJwt(bearer: string): Promise<TokenState | 'expired' | undefined> {
    const jwt = this.rules().jwt;
    if (!jwt) return undefined;
    if (this.jwks?.url !== jwt.jwksUrl)
      this.jwks = { url: jwt.jwksUrl, keys: createRemoteJWKSet(new URL(jwt.jwksUrl)) };
    try {
      const { payload } = await jwtVerify(bearer, this.jwks.keys, jwt.audience ? { audience: jwt.audience } : {});
      const state: TokenState = {
        successes: 0,
        issuedAt: Date.now(),
        revoked: false,
        ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}),
      };
      this.tokens.set(bearer, state);
      return state;
    } catch (err) {
      return err instanceof joseErrors.JWTExpired ? 'expired' : undefined;
    }
  }
}
