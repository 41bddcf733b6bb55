import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { EncryptJWT, jwtDecrypt } from 'jose';

// A visitor's session, in one cookie: an encrypted JWT (A256GCM, a key derived from the sealing key), so it
// cannot be read or forged, and it outlives a restart of the console. Every visitor has one, signed in or not:
// it carries the CSRF token that every form sends back, the login form's included.

export type Role = 'viewer' | 'operator';

export interface Session {
  /** Who signed in (an OIDC subject or email, or "password"); absent until then. */
  user?: string;
  role?: Role;
  /** A session opened by an alert's link: it sees this batch and hands it a token, nothing else. */
  linkBatch?: string;
  /** Sent back by every form (`_csrf`) and every htmx request (`x-csrf-token`). */
  csrf: string;
  /** One message for the next page shown (the answer to an action), then dropped. */
  flash?: string;
  /** The OIDC login under way: its state, nonce and PKCE verifier. */
  oidc?: { state: string; nonce: string; verifier: string; returnTo: string };
}

export interface SessionCookies {
  key: Uint8Array;
  /** Secure cookies (and the `__Host-` prefix) when the console is served over HTTPS. */
  secure: boolean;
  /** How long a signed-in session lasts. */
  ttlMs: number;
}

const cookieName = (secure: boolean) => (secure ? '__Host-clientsync' : 'clientsync');

/** A new, signed-out session. */
export function anonymous(): Session {
  return { csrf: randomBytes(24).toString('base64url') };
}

/** The session the request carries, or undefined when it has none (or one that does not open, or has expired). */
export async function readSession(c: Context, cookies: SessionCookies): Promise<Session | undefined> {
  const jwe = getCookie(c, cookieName(cookies.secure));
  if (!jwe) return undefined;
  try {
    const { payload } = await jwtDecrypt(jwe, cookies.key, { issuer: 'clientsync-console' });
    return payload.s as Session;
  } catch {
    return undefined;
  }
}

/** Writes the session into the response's cookie: HttpOnly, SameSite=Strict, Secure behind TLS. */
export async function writeSession(c: Context, cookies: SessionCookies, session: Session): Promise<void> {
  const ttlSeconds = Math.floor(cookies.ttlMs / 1000);
  const jwe = await new EncryptJWT({ s: session })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuer('clientsync-console')
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .encrypt(cookies.key);
  setCookie(c, cookieName(cookies.secure), jwe, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: cookies.secure,
    path: '/',
    maxAge: ttlSeconds,
  });
}

export function clearSession(c: Context, cookies: SessionCookies): void {
  deleteCookie(c, cookieName(cookies.secure), { path: '/', secure: cookies.secure });
}
