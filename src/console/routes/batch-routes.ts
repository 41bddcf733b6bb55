import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { stringify } from 'csv-stringify/sync';
import { UserError } from '../../contract/errors';
import { handBatchToken } from '../../operations/batch-actions';
import type { ConsoleContext, ConsoleEnv } from '../console-env';
import { mayHandToken, maySee, setSession, takeFlash, toLogin, type ConsoleCtx } from '../guards';
import { batchPage, liveSection } from '../pages/batch-page';
import { listPage, listRows } from '../pages/list-page';
import { batchPath, problemPage } from '../pages/layout';

// What people read (the list, a batch, its chart and failures) and the token a waiting batch is handed.

const CSV_COLUMNS = ['clientId', 'reason', 'lastStatus', 'attempts', 'answer'];

export function batchRoutes(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const webLink = (id: string) => ctx.webLink(id);

  app.get('/', async (c) => {
    const session = c.get('session');
    if (!session.role) return session.linkBatch ? c.redirect(batchPath(session.linkBatch), 303) : toLogin(c);
    return c.html(listPage(takeFlash(c), await ctx.reads.list(), webLink));
  });

  app.get('/batches/rows', async (c) => {
    if (!c.get('session').role) return toLogin(c);
    return c.html(listRows(await ctx.reads.list(), webLink));
  });

  app.get('/batches/:id', async (c) => {
    const id = c.req.param('id');
    const session = c.get('session');
    if (!maySee(session, id)) return toLogin(c);
    const details = await ctx.reads.batch(id);
    const powers = { act: session.role === 'operator', handToken: mayHandToken(session, id) };
    return c.html(batchPage(takeFlash(c), details, powers, webLink(id)));
  });

  app.get('/batches/:id/live', async (c) => {
    const id = c.req.param('id');
    if (!maySee(c.get('session'), id)) return toLogin(c);
    return c.html(liveSection(await ctx.reads.batch(id)));
  });

  app.get('/batches/:id/chart.json', async (c) => {
    const id = c.req.param('id');
    if (!maySee(c.get('session'), id)) return toLogin(c);
    return c.json(await ctx.reads.chart(id));
  });

  app.get('/batches/:id/failures.csv', async (c) => {
    const id = c.req.param('id');
    if (!maySee(c.get('session'), id)) return toLogin(c);
    const rows = await ctx.reads.failedRows(id);
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${id.replace(/[^\w.-]/g, '_')}-failures.csv"`);
    return stream(c, async (out) => {
      // escape_formulas: a cell such as =HYPERLINK(…) from an API's answer stays text in a spreadsheet
      const csv = (records: unknown[][], header = false) =>
        stringify(records, { header, columns: CSV_COLUMNS, escape_formulas: true });
      await out.write(csv([], true));
      let chunk: unknown[][] = [];
      for await (const r of rows) {
        chunk.push([r.clientId, r.reason, r.lastStatus, r.attempts, r.data]);
        if (chunk.length < 500) continue;
        await out.write(csv(chunk));
        chunk = [];
      }
      await out.write(csv(chunk));
    });
  });

  app.post('/batches/:id/token', async (c) => {
    const id = c.req.param('id');
    const session = c.get('session');
    if (!mayHandToken(session, id))
      return refused(c, 'Only an operator, or this batch’s alert link, can hand it a token.');
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    if (!token) return flashBack(c, id, 'No token was given; paste the new API token into the field.');
    try {
      const answer = await handBatchToken(ctx.client, id, token);
      ctx.log(`Token handed to batch ${id} by ${session.user ?? 'its alert link'}: ${answer}`);
      ctx.reads.forget(id);
      return flashBack(c, id, answer);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      ctx.log(`Token for batch ${id} refused: ${err.message}`);
      return flashBack(c, id, err.message);
    }
  });

  return app;
}

/** Back to the batch's page (a GET: the form is not sent again on reload), with one message on it. */
export function flashBack(c: ConsoleCtx, batchId: string, message: string): Response {
  setSession(c, { ...c.get('session'), flash: message });
  return c.redirect(batchPath(batchId), 303);
}

export function refused(c: ConsoleCtx, why: string): Response | Promise<Response> {
  return c.html(problemPage(takeFlash(c), 'Not allowed', why), 403);
}
