import { decodeJwt } from 'jose';

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
