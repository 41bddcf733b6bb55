import type { decodeJwt as DecodeJwt } from 'jose';

// jose's own entry for decoding alone: its index loads all of JWS, JWE and JWK (about 30 ms that every
// `start` and `refresh-token` would pay). Required by path because this project resolves modules the
// CommonJS way, which does not read package exports for types.
const { decodeJwt } = require('jose/jwt/decode') as { decodeJwt: typeof DecodeJwt };

/**
 * When a token that is a JWT expires (its `exp`, in ms since epoch); undefined for an opaque token or one
 * without `exp`. Read, not verified: it only times a refresh, and the API still judges the token.
 */
export function jwtExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
