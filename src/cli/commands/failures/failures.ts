import { UserError } from '../../../contract/errors';
import { regroupFailures, type FailureGroup, type FailureGrouping } from '../../../store/results-store';
import type { CliIO } from '../../io';
import { withCliStore } from '../../cli-store';
import { batchUnderId } from '../../batch-under-id';

export interface FailureView {
  clientId: string;
  reason: string | null;
  lastStatus: number | null;
  attempts: number;
  /** The first bytes of the last answer, when the client got one. */
  body: string | null;
}

export interface FailuresOptions {
  json?: boolean;
  run?: string;
  /** Groups with counts and a few ClientIds each, instead of every client. */
  by?: string;
}

/** ClientIds shown in each group. */
const SAMPLES = 5;

/** `clientsync failures`: failed clients with reason, last HTTP status and attempts, or their groups (--by). */
export async function failures(
  batchId: string,
  opts: FailuresOptions,
  io: CliIO,
): Promise<FailureView[] | FailureGroup[]> {
  const by = groupingOf(opts.by);
  return withCliStore(async (store) => {
    const key = await batchUnderId(store, batchId, opts.run, io);
    if (by) {
      const groups = regroupFailures(await store.failureGroups(key, SAMPLES), by, SAMPLES);
      printGroups(groups, by, batchId, opts, io);
      return groups;
    }
    const rows = (await store.list(key, 'failed')).map((r) => ({
      clientId: r.clientId,
      reason: r.reason,
      lastStatus: r.lastStatus,
      attempts: r.attempts,
      body: r.data,
    }));
    if (opts.json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out(`No failed clients recorded for ${batchId}.`);
    else {
      io.out(['CLIENT', 'REASON', 'STATUS', 'ATTEMPTS'].join('\t'));
      for (const r of rows) io.out([r.clientId, r.reason, r.lastStatus ?? '-', r.attempts].join('\t'));
    }
    return rows;
  });
}

function groupingOf(by: string | undefined): Exclude<FailureGrouping, 'both'> | undefined {
  if (by === undefined || by === 'reason' || by === 'status') return by;
  throw new UserError(`--by takes reason or status, not ${JSON.stringify(by)}`);
}

function printGroups(
  groups: FailureGroup[],
  by: Exclude<FailureGrouping, 'both'>,
  batchId: string,
  opts: FailuresOptions,
  io: CliIO,
): void {
  if (opts.json) {
    const view = groups.map((g) => ({
      [by === 'reason' ? 'reason' : 'lastStatus']: by === 'reason' ? g.reason : g.lastStatus,
      count: g.count,
      clientIds: g.samples.map((s) => s.clientId),
    }));
    return io.out(JSON.stringify(view));
  }
  if (groups.length === 0) return io.out(`No failed clients recorded for ${batchId}.`);
  io.out(['COUNT', by.toUpperCase(), 'CLIENTS'].join('\t'));
  for (const g of groups) {
    const key = by === 'reason' ? g.reason : (g.lastStatus ?? 'no answer');
    const more = g.count > g.samples.length ? ', …' : '';
    io.out([g.count, key, g.samples.map((s) => s.clientId).join(', ') + more].join('\t'));
  }
}
