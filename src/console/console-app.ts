import { Hono } from 'hono';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import { UserError } from '../contract/errors';
import { secureHeaders } from 'hono/secure-headers';
import type { ConsoleContext, ConsoleEnv } from './console-env';
import { assetRoutes } from './assets';
import { csrfToken, sessions, takeFlash } from './guards';
import { actionRoutes } from './routes/action-routes';
import { authRoutes } from './routes/auth-routes';
import { batchRoutes } from './routes/batch-routes';
import { problemPage } from './pages/layout';

/**
 * The console as a Hono app: static files first (no session), then every request with a session, every POST
 * from this origin with the session's CSRF token, and pages that no one may frame, cache or script inline.
 */
export function consoleApp(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const origin = new URL(ctx.publicUrl).origin;
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      strictTransportSecurity: origin.startsWith('https:') ? 'max-age=31536000' : false,
    }),
  );
  app.route('/', assetRoutes());
  app.get('/healthz', (c) => c.text('ok'));
  app.use('*', async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  // A form may come from this console's public origin, or from the origin the browser used to reach it.
  app.use('*', csrf({ origin: (o, c) => o === origin || o === new URL(c.req.url).origin }));
  app.use('*', sessions(ctx));
  app.use('*', csrfToken());
  app.route('/', authRoutes(ctx));
  app.route('/', batchRoutes(ctx));
  app.route('/', actionRoutes(ctx));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse(); // a refusal, such as a form from another origin
    const session = c.get('session');
    if (err instanceof UserError && session) return c.html(problemPage(takeFlash(c), 'Not found', err.message), 404);
    ctx.log(`${c.req.method} ${c.req.path.startsWith('/link/') ? '/link/…' : c.req.path} failed: ${err.message}`);
    if (!session) return c.text('The console met an error; its log says which.', 500);
    return c.html(problemPage(takeFlash(c), 'Something went wrong', unreachable(err) ?? err.message), 500);
  });
  return app;
}

/** Temporal's or the store's absence, in a person's words. */
function unreachable(err: Error): string | undefined {
  for (let e: { code?: unknown; cause?: unknown; message?: string } | undefined = err; e; e = e.cause as typeof e) {
    if (e.code === 14) return 'Temporal does not answer; the page will work again once it does.';
    if (e.code === 4) return 'No answer in time: is a worker running for this batch?';
  }
  return undefined;
}
