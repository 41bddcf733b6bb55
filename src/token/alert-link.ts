import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { consoleKey } from './console-keys';

// An alert about a waiting batch carries a link to its page in the console. The link is a signed JWT (HS256,
// a key derived from the sealing key) that names one batch, expires, and has an id the console marks used,
// so it works once: it lets its holder see that batch and hand it a token, nothing else.

const ISSUER = 'clientsync-worker';
const AUDIENCE = 'clientsync-console';

/** What a link allows: one batch's page and its token, or (a demo's sign-in) an operator's session. */
export interface AlertLinkClaims {
  batchId?: string;
  operator?: boolean;
  /** The link's id, marked used in the results store on first use. */
  linkId: string;
  expiresAt: Date;
}

/** A link's path under the console's URL. */
export const ALERT_LINK_PATH = '/link/';

/** The default lifetime of a link. */
export const ALERT_LINK_TTL_MS = 24 * 3600_000;

/** The console URL of a link to `batchId`'s page, valid for `ttlMs`. */
export function signAlertLink(
  consoleUrl: string,
  batchId: string,
  sealKey: Buffer,
  ttlMs = ALERT_LINK_TTL_MS,
  now = Date.now(),
): Promise<string> {
  return signLink(consoleUrl, { batch: batchId }, sealKey, ttlMs, now);
}

/** A single-use link that signs its holder in as an operator: the demo's console, which has no other sign-in. */
export function signOperatorLink(consoleUrl: string, sealKey: Buffer, ttlMs: number): Promise<string> {
  return signLink(consoleUrl, { operator: true }, sealKey, ttlMs, Date.now());
}

async function signLink(
  consoleUrl: string,
  claims: { batch: string } | { operator: true },
  sealKey: Buffer,
  ttlMs: number,
  now: number,
): Promise<string> {
  const jwt = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor((now + ttlMs) / 1000))
    .sign(consoleKey(sealKey, 'alert-link'));
  return `${consoleUrl.replace(/\/$/, '')}${ALERT_LINK_PATH}${jwt}`;
}

/** A link that cannot be used, and why, in a person's words. */
export class AlertLinkError extends Error {
  override name = 'AlertLinkError';
}

/** The claims of a link the console issued and that has not expired; anything else is an AlertLinkError. */
export async function verifyAlertLink(jwt: string, sealKey: Buffer, now = Date.now()): Promise<AlertLinkClaims> {
  try {
    const { payload } = await jwtVerify(jwt, consoleKey(sealKey, 'alert-link'), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: new Date(now),
      requiredClaims: ['jti', 'exp'],
    });
    const expiry = { linkId: payload.jti!, expiresAt: new Date(payload.exp! * 1000) };
    if (typeof payload.batch === 'string') return { batchId: payload.batch, ...expiry };
    if (payload.operator === true) return { operator: true, ...expiry };
    throw new AlertLinkError('this link names no batch');
  } catch (err) {
    if (err instanceof AlertLinkError) throw err;
    if (err instanceof errors.JWTExpired)
      throw new AlertLinkError('this link has expired; sign in to the console instead');
    throw new AlertLinkError('this link is not one the console issued; sign in to the console instead');
  }
}
