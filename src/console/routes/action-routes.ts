import { Hono } from 'hono';
import { UserError } from '../../contract/errors';
import { OPTION_TABLE, valueRefusal, type OptionRow } from '../../contract/option-table';
import type { LimitsChange } from '../../contract/options';
import type { FailureFilter } from '../../contract/sources';
import { parseStatuses } from '../../domain/failure-filter';
import { InvalidValueError, parserFor } from '../../domain/option-values';
import { startBatchWorkflow } from '../../connection/start-batch';
import { cancelBatch, pauseBatch, resumeBatch, setBatchLimits } from '../../operations/batch-actions';
import { planRedrive } from '../../operations/redrive';
import type { ConsoleContext, ConsoleEnv } from '../console-env';
import { takeFlash } from '../guards';
import { confirmPage } from '../pages/forms';
import { flashBack, refused } from './batch-routes';

// An operator's actions on a batch. Each asks first (a page that says what will happen, and sends the form
// again with confirm=yes), then goes through the same operations as the CLI's commands.

type Fields = Record<string, string>;

interface Action {
  /** What happens on yes, in one sentence. */
  question(ctx: ConsoleContext, batchId: string, fields: Fields): Promise<string> | string;
  /** Does it; what people are told. */
  run(ctx: ConsoleContext, batchId: string, fields: Fields): Promise<string>;
}

const SETTABLE = OPTION_TABLE.filter((row) => row.settable);

const ACTIONS: Record<string, Action> = {
  pause: {
    question: (_, id) => `Pause batch ${id}? In-flight calls finish; no new ones start.`,
    run: (ctx, id) => pauseBatch(ctx.client, id),
  },
  resume: {
    question: (_, id) => `Resume batch ${id}?`,
    run: (ctx, id) => resumeBatch(ctx.client, id),
  },
  cancel: {
    question: (_, id) =>
      `Cancel batch ${id}? It starts no more calls and ends with what it has done; this cannot be undone.`,
    run: async (ctx, id) => (await cancelBatch(ctx.client, id)).message,
  },
  set: {
    question: (_, id, fields) => `Change the limits of batch ${id}: ${changeText(limitsChangeOf(fields))}?`,
    run: (ctx, id, fields) => setBatchLimits(ctx.client, id, limitsChangeOf(fields)),
  },
  'retry-failed': {
    question: async (ctx, id, fields) =>
      `${(await planRedrive(ctx.client, ctx.store, { batchId: id, filter: filterOf(fields) })).message} Start it?`,
    run: async (ctx, id, fields) => {
      const { input, message } = await planRedrive(ctx.client, ctx.store, { batchId: id, filter: filterOf(fields) });
      const web = ctx.webLink(input.batchId);
      if (web) input.webUrl = web;
      await startBatchWorkflow(ctx.client, input);
      return `${message} Started.`;
    },
  },
};

export function actionRoutes(ctx: ConsoleContext): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.post('/batches/:id/actions/:action', async (c) => {
    const id = c.req.param('id');
    const session = c.get('session');
    const action = ACTIONS[c.req.param('action')];
    if (!action) return c.notFound();
    if (session.role !== 'operator') return refused(c, 'Only an operator can change a batch; you can see it only.');
    const body = await c.req.parseBody();
    const fields = Object.fromEntries(
      Object.entries(body).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && !['_csrf', 'confirm'].includes(e[0]) && e[1] !== '',
      ),
    );
    try {
      if (body.confirm !== 'yes') {
        const question = await action.question(ctx, id, fields);
        return c.html(confirmPage(takeFlash(c), { batchId: id, action: c.req.param('action'), question, fields }));
      }
      const answer = await action.run(ctx, id, fields);
      ctx.log(`${session.user} ran ${c.req.param('action')} on batch ${id}: ${answer}`);
      ctx.reads.forget(id);
      return flashBack(c, id, answer);
    } catch (err) {
      if (!(err instanceof UserError) && !(err instanceof InvalidValueError)) throw err;
      return flashBack(c, id, err.message);
    }
  });
  return app;
}

/** The change a `set` form asks for, each field parsed as its flag's value is on the command line. */
function limitsChangeOf(fields: Fields): LimitsChange {
  const change: Record<string, unknown> = {};
  for (const row of SETTABLE) {
    const text = fields[row.flag]?.trim();
    if (text) change[row.option] = valueOf(row, text);
  }
  if (Object.keys(change).length === 0) throw new UserError('nothing to change: fill in at least one limit');
  return change as LimitsChange;
}

function valueOf(row: OptionRow, text: string): unknown {
  if (row.type.kind === 'max-failures' && text === 'none') return null;
  let value: unknown = text;
  try {
    value = parserFor(row.type)?.(text) ?? text;
  } catch (err) {
    throw new InvalidValueError(`--${row.flag}: ${(err as Error).message}`);
  }
  const kind = row.type.kind === 'on-off' ? { kind: 'choice' as const, choices: ['on', 'off'] } : row.type;
  const refusal = valueRefusal(kind, value);
  if (refusal) throw new InvalidValueError(`--${row.flag} takes ${refusal}, not ${JSON.stringify(text)}`);
  return value;
}

function changeText(change: LimitsChange): string {
  return SETTABLE.filter((row) => row.option in change)
    .map((row) => `--${row.flag} ${fieldText(change[row.option as keyof LimitsChange])}`)
    .join(', ');
}

function fieldText(value: unknown): string {
  if (value === null) return 'none';
  if (typeof value === 'object')
    return 'percent' in value
      ? `${(value as { percent: number }).percent}%`
      : String((value as { count: number }).count);
  return String(value);
}

/** The retry's filter from its form: the same checks as retry-failed's --status and --reason. */
function filterOf(fields: Fields): FailureFilter | undefined {
  const statuses = fields.status ? parseStatuses(fields.status) : undefined;
  const reasons = fields.reason
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (!statuses && !reasons?.length) return undefined;
  return { ...(statuses ? { statuses } : {}), ...(reasons?.length ? { reasons } : {}) };
}
