import { startStack } from '../stack';
import { type Row, fmt, clientFile, historyEvents, timeCliBatch } from './common';

/**
 * A very large batch to its end, as a user runs it: `clientsync start` with no tuning flags but 32 in flight,
 * the worker started as the README says, a 0 ms API whose ledger keeps counts only. Every client exactly once,
 * the worker under 400 MB, every run under the event budget.
 */
export async function bigBatch(n: number): Promise<Row[]> {
  const scenario = `${n === 1_000_000 ? 'a million' : `${n / 1_000_000} million`} clients (0 ms API, through the CLI)`;
  const file = await clientFile(n);
  const s = await startStack({ latencyMs: 0, compactLedger: true });
  try {
    const worker = await s.startWorker('tq');
    const { rate, summary } = await timeCliBatch(s, file, 'tq', ['--concurrency', '32']);
    const seconds = n / rate;
    const events = await historyEvents(s, summary.batchId);
    await worker.stop();
    const rss = await worker.peakRssKb();
    const check = await s.api.check(n);
    const exact =
      check.missing.count === 0 &&
      check.repeated.count === 0 &&
      check.unexpected.count === 0 &&
      summary.succeeded === n;
    return [
      {
        scenario,
        measure: `${summary.succeeded.toLocaleString('en')} succeeded; by the ledger ${check.missing.count} missing, ${check.repeated.count} repeated, ${check.unexpected.count} unexpected; ${summary.runs} runs`,
        value: `${fmt(seconds / 60)} min (${fmt(rate)} calls/s)`,
        verdict: exact ? 'pass' : 'FAIL',
      },
      {
        scenario,
        measure: 'worker peak RSS',
        value: `${fmt((rss ?? NaN) / 1024)} MB`,
        target: '< 400 MB',
        verdict: (rss ?? Infinity) < 400 * 1024 ? 'pass' : 'FAIL',
      },
      {
        scenario,
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
