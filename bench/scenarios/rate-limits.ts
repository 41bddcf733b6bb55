import type { BatchOptionsInput } from '../../src/contract/options';
import { busiestRate } from '../../test/helpers/busiest-window';
import { startStack } from '../stack';
import { type Row, fmt, clientFile, timeBatch } from './common';

/** Target 4: --rps holds the API's rate at or under N (+5%); a 429 slows the batch instead of failing clients. */
export async function rateLimits(quick: boolean): Promise<Row[]> {
  const n = quick ? 400 : 1500;
  const rows: Row[] = [];
  const s = await startStack({ latencyMs: 10 });
  try {
    await s.startWorker('tq');
    await s.startWorker('tq-rps', ['--rps', '50']);
    const cases: Array<[string, string, BatchOptionsInput, number]> = [
      ['start --rps 100, 1 client/activity', 'tq', { concurrency: 20, rps: 100 }, 100],
      ['start --rps 100, 25 clients/activity', 'tq', { concurrency: 20, rps: 100, clientsPerActivity: 25 }, 100],
      ['worker --rps 50 (server-side, per task queue)', 'tq-rps', { concurrency: 20 }, 50],
    ];
    for (const [name, queue, options, limit] of cases) {
      await s.api.resetLedger();
      await timeBatch(s, await clientFile(n), queue, n, options);
      const times = [...(await s.api.ledger()).successTimes].sort((a, b) => a - b);
      const avg = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
      const peak1 = busiestRate(times, 1000);
      const peak5 = busiestRate(times, 5000);
      rows.push({
        scenario: 'rate limits (10 ms API)',
        measure: `${name}: busiest 5 s window (mean ${fmt(avg)}/s, busiest single second ${peak1})`,
        value: `${fmt(peak5)} calls/s`,
        target: `≤ ${fmt(limit * 1.05, 0)}`,
        verdict: peak5 <= limit * 1.05 ? 'pass' : 'FAIL',
      });
    }
    await s.api.resetLedger();
    const clean = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 20 });
    await s.api.configure({ rateLimitRate: 0.1, retryAfterSeconds: 1 });
    const limited = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 20 });
    rows.push({
      scenario: 'rate limits (10 ms API)',
      measure: `10% of calls answered 429 Retry-After: 1 (${(await s.api.ledger()).statusCounts['429'] ?? 0} 429s; ${limited.summary.failed} clients failed)`,
      value: `${fmt(limited.rate)} calls/s`,
      ratio: fmt(limited.rate / clean.rate, 2),
      target: '0 failed, slower',
      verdict: limited.summary.failed === 0 && limited.rate < clean.rate ? 'pass' : 'FAIL',
    });
  } finally {
    await s.close();
  }
  return rows;
}
