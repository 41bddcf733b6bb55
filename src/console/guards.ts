import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { anonymous, readSession, writeSession, type Session } from './auth/session';
import type { ConsoleContext, ConsoleEnv } from './console-env';

// Who may do what, checked before any route runs: every request has a session (signed in or not), every POST
// sends the session's CSRF token back, and a page needs a signed-in viewer, an operator, or the batch's
// alert link.

export type ConsoleCtx = Context<ConsoleEnv>;

/**
 * Reads the session, or starts a signed-out one, and writes it back when a route changed it. A browser sends
 * no SameSite=Strict cookie on a navigation from another site (a link in a chat): such a request without a
 * cookie gets a page that loads itself again, from this site, with the cookie.
 */
export function sessions(ctx: ConsoleContext): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const existing = await readSession(c, ctx.cookies);
    if (!existing && c.req.method === 'GET' && c.req.header('sec-fetch-site') === 'cross-site')
      return c.html('<!doctype html><meta http-equiv="refresh" content="0"><title>clientsync</title>');
    c.set('session', existing ?? anonymous());
    c.set('sessionChanged', !existing);
    await next();
    if (c.get('sessionChanged')) await writeSession(c, ctx.cookies, c.get('session'));
  };
}

/** Replaces the session (a sign-in, a link used, a flash message). */
export function setSession(c: ConsoleCtx, session: Session): void {
  c.set('session', session);
  c.set('sessionChanged', true);
}

/** The session for rendering a page: its flash message is shown once, then dropped. */
export function takeFlash(c: ConsoleCtx): Session {
  const session = c.get('session');
  if (session.flash) setSession(c, { ...session, flash: undefined });
  return session;
}

/** Refuses a POST whose CSRF token is not the session's (a form from elsewhere, or a stale page). */
export function csrfToken(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const body = await c.req.parseBody();
    const sent = typeof body._csrf === 'string' ? body._csrf : (c.req.header('x-csrf-token') ?? '');
    const want = c.get('session').csrf;
    const ok = sent.length === want.length && timingSafeEqual(Buffer.from(sent), Buffer.from(want));
    if (!ok) return c.text('This form has expired or came from another site; reload the page and try again.', 403);
    return next();
  };
}

/** Whether the session may see `batchId` (any signed-in role, or that batch's link). */
export function maySee(session: Session, batchId?: string): boolean {
  return !!session.role || (batchId !== undefined && session.linkBatch === batchId);
}

/** Whether the session may hand `batchId` a token. */
export function mayHandToken(session: Session, batchId: string): boolean {
  return session.role === 'operator' || session.linkBatch === batchId;
}

/** Sends a signed-out visitor to sign in, and back here after; an htmx request is told to do the same. */
export function toLogin(c: ConsoleCtx): Response {
  const here = new URL(c.req.url);
  const to = `/login?returnTo=${encodeURIComponent(here.pathname + here.search)}`;
  if (c.req.header('hx-request')) return c.body(null, 401, { 'HX-Redirect': to });
  return c.redirect(to, 303);
}

/** A path on this console to go back to after signing in; anything else is the batch list. */
export function safeReturn(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}
