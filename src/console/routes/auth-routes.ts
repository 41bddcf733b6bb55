import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { AlertLinkError, verifyAlertLink } from '../../token/alert-link';
import { anonymous } from '../auth/session';
import { roleOfPassword } from '../auth/passwords';
import type { ConsoleContext, ConsoleEnv } from '../console-env';
import { safeReturn, setSession, takeFlash, type ConsoleCtx } from '../guards';
import { linkPage, loginPage } from '../pages/forms';
import { batchPath, problemPage } from '../pages/layout';

// Signing in and out: a password, an OIDC provider, or an alert's link. Each success starts a new session
// (and a new CSRF token), so nothing of the signed-out one carries over.

export function authRoutes(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const login = (c: ConsoleCtx, status: 200 | 401 | 429 = 200, problem?: string, returnTo = '/') =>
    c.html(
      loginPage(takeFlash(c), { password: !!ctx.passwords.operator, oidc: !!ctx.oidc, problem, returnTo }),
      status,
    );

  app.get('/login', (c) => login(c, 200, undefined, safeReturn(c.req.query('returnTo'))));

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const returnTo = safeReturn(body.returnTo);
    const address = getConnInfo(c).remote.address ?? 'unknown';
    const wait = await ctx.logins.waitFor(address);
    if (wait > 0) return login(c, 429, `Too many failed attempts; try again in ${Math.ceil(wait / 60)} min.`, returnTo);
    const role = typeof body.password === 'string' ? await roleOfPassword(body.password, ctx.passwords) : undefined;
    if (!role) {
      await ctx.logins.failed(address);
      ctx.log(`Sign-in refused from ${address}: wrong password`);
      return login(c, 401, 'That password is not right.', returnTo);
    }
    setSession(c, { ...anonymous(), user: role === 'operator' ? 'operator' : 'viewer', role });
    ctx.log(`Signed in with the ${role} password from ${address}`);
    return c.redirect(returnTo, 303);
  });

  app.get('/auth/oidc', async (c) => {
    if (!ctx.oidc) return c.notFound();
    const { url, pending } = await ctx.oidc.start(safeReturn(c.req.query('returnTo')));
    setSession(c, { ...c.get('session'), oidc: pending });
    return c.redirect(url, 302);
  });

  app.get('/auth/callback', async (c) => {
    const pending = c.get('session').oidc;
    if (!ctx.oidc || !pending) return login(c, 401, 'That sign-in was not started here; try again.');
    const here = new URL(c.req.url);
    const callback = new URL(`/auth/callback${here.search}`, ctx.publicUrl);
    try {
      const { user, role } = await ctx.oidc.finish(callback, pending);
      setSession(c, { ...anonymous(), user, role });
      ctx.log(`Signed in ${user} as ${role} through OIDC`);
      return c.redirect(pending.returnTo, 303);
    } catch (err) {
      setSession(c, { ...c.get('session'), oidc: undefined });
      ctx.log(`OIDC sign-in refused: ${(err as Error).message}`);
      return login(c, 401, `The identity provider's answer was refused: ${(err as Error).message}`);
    }
  });

  app.post('/logout', (c) => {
    setSession(c, anonymous());
    return c.redirect('/login', 303);
  });

  app.get('/link/:jwt', async (c) => {
    try {
      const { batchId } = await verifyAlertLink(c.req.param('jwt'), ctx.sealKey);
      return c.html(linkPage(takeFlash(c), batchId, c.req.param('jwt')));
    } catch (err) {
      return linkRefused(c, err);
    }
  });

  app.post('/link', async (c) => {
    const body = await c.req.parseBody();
    try {
      const claims = await verifyAlertLink(String(body.link ?? ''), ctx.sealKey);
      if (!(await ctx.store.useLink(claims.linkId, claims.expiresAt)))
        throw new AlertLinkError('this link has been used already; each alert link works once');
      if (claims.operator) {
        setSession(c, { ...anonymous(), user: 'sign-in link', role: 'operator' });
        ctx.log('Signed in as operator with a sign-in link');
        return c.redirect('/', 303);
      }
      setSession(c, { ...anonymous(), linkBatch: claims.batchId });
      ctx.log(`Alert link used for batch ${claims.batchId}`);
      return c.redirect(batchPath(claims.batchId!), 303);
    } catch (err) {
      return linkRefused(c, err);
    }
  });

  return app;
}

function linkRefused(c: ConsoleCtx, err: unknown): Response | Promise<Response> {
  if (!(err instanceof AlertLinkError)) throw err;
  return c.html(problemPage(takeFlash(c), 'This link cannot be used', err.message, '/login'), 403);
}
