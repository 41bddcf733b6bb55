import path from 'node:path';
import { SqliteResultsStore } from '../../src/store/sqlite-store';
import { batchKey } from '../../src/store/results-store';
import type { BatchSummary } from '../../src/contract/progress';
import { startStack, type Stack } from '../stack';
import { type Row, fmt, clientFile, timeCliBatch } from './common';

const BODY = '{"id": ClientId, "name": ClientName, "source": "clientsync"}';
const RESULT = '{"id": ClientId, "status": status}';

/** Bytes the results store keeps per client for a batch: the kept response (`data`) of each success. */
async function keptBytesPerClient(s: Stack, summary: BatchSummary): Promise<number> {
  const store = SqliteResultsStore.open(path.join(s.env.CLIENTSYNC_HOME!, 'results.db'));
  try {
    let bytes = 0;
    for await (const row of store.iterate(batchKey(summary.batchId, summary.batchRun), 'succeeded'))
      bytes += Buffer.byteLength(row.data ?? '');
    return bytes / summary.succeeded;
  } finally {
    await store.close();
  }
}

/**
 * What a request template costs, through the CLI against an API that answers at once (so the worker's own
 * cost shows): a POST with a JSONata body, and a --result projection, each against a plain GET in the same run.
 */
export async function requestShape(quick: boolean): Promise<Row[]> {
  const scenario = 'request templates (0 ms API, c=32, 100 clients/activity, through the CLI)';
  const n = quick ? 5000 : 50_000;
  const s = await startStack({ latencyMs: 0 });
  const rows: Row[] = [];
  try {
    await s.startWorker('tq');
    const file = await clientFile(n);
    const flags = ['--concurrency', '32', '--clients-per-activity', '100'];
    const cases: Array<[string, string[]]> = [
      ['GET, the whole body kept (baseline)', []],
      [
        'POST, body from a JSONata expression over 2 fields',
        ['--method', 'POST', '--api-url', `${s.api.origin}/clients`, '--body', BODY],
      ],
      ['GET, --result projection kept', ['--result', RESULT]],
    ];
    // A first batch warms the worker (JIT, code cache, the store's pages), so the baseline is not the cold one.
    await timeCliBatch(s, await clientFile(Math.floor(n / 5)), 'tq', flags);
    let base: { rate: number; cpuUs: number } | undefined;
    for (const [label, extra] of cases) {
      const before = await s.cpu();
      const { rate, summary } = await timeCliBatch(s, file, 'tq', [...flags, ...extra]);
      const cpuUs = (((await s.cpu()).workers - before.workers) / summary.processed) * 1e6;
      base ??= { rate, cpuUs };
      const kept = await keptBytesPerClient(s, summary);
      rows.push({
        scenario,
        measure: `${label}, ${n.toLocaleString('en-US')} clients (worker CPU per client ${fmt(cpuUs, 0)} µs, ${fmt(cpuUs / base.cpuUs, 2)}× GET; store ${fmt(kept, 0)} bytes per client)`,
        value: `${fmt(rate)} calls/s`,
        ratio: fmt(rate / base.rate, 2),
        ...(summary.succeeded === n ? {} : { verdict: 'FAIL' }),
      });
    }
  } finally {
    await s.close();
  }
  return rows;
}
