import { clientIds } from '../../src/fake-api/client-file';
import type { BatchSummary } from '../../src/contract/progress';
import { startStack } from '../stack';
import { type Row, fmt, clientFile, historyEvents } from './common';

/** Target 3: a million clients to the end, worker under 400 MB, every run under the event budget. */
export async function million(): Promise<Row[]> {
  const n = 1_000_000;
  const file = await clientFile(n);
  const s = await startStack({ latencyMs: 0 });
  try {
    const worker = await s.startWorker('tq');
    const began = Date.now();
    const handle = await s.startBatch(file, 'tq', { total: n, options: { concurrency: 32, clientsPerActivity: 100, pageSize: 5000 } });
    const summary = (await handle.result()) as BatchSummary;
    const seconds = (Date.now() - began) / 1000;
    const events = await historyEvents(s, summary.batchId);
    await worker.stop();
    const rss = await worker.peakRssKb();
    const check = (await s.api.ledger()).check(clientIds(n));
    return [
      {
        scenario: 'a million clients (0 ms API)',
        measure: `${summary.succeeded.toLocaleString('en')} succeeded, ${check.missing.length} missing, ${check.repeated.length} repeated; ${summary.runs} runs`,
        value: `${fmt(seconds / 60)} min (${fmt(n / seconds)} calls/s)`,
        verdict: check.missing.length === 0 && summary.succeeded === n ? 'pass' : 'FAIL',
      },
      {
        scenario: 'a million clients (0 ms API)',
        measure: 'worker peak RSS',
        value: `${fmt((rss ?? NaN) / 1024)} MB`,
        target: '< 400 MB',
        verdict: (rss ?? Infinity) < 400 * 1024 ? 'pass' : 'FAIL',
      },
      {
        scenario: 'a million clients (0 ms API)',
        measure: 'largest run history',
        value: `${Math.max(...events)} events`,
        target: '< 5000',
        verdict: Math.max(...events) < 5000 ? 'pass' : 'FAIL',
      },
    ];
  } finally {
    await s.close();
  }
}
