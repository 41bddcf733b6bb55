import { clientIds } from '../../src/fake-api/client-file';
import { plainLoop } from '../plain-loop';
import { startStack } from '../stack';
import { type Row, fmt, clientFile, timeBatch, historyEvents } from './common';

/** Target 1: calls/s near the API's limit, against a plain fetch loop in the same run. */
export async function throughput(quick: boolean): Promise<Row[]> {
  const n = quick ? 1000 : 5000;
  const s = await startStack({ latencyMs: 50 });
  const rows: Row[] = [];
  try {
    const ids = clientIds(n);
    let began = Date.now();
    await plainLoop(ids, s.api.baseUrl, s.api.issueToken(), 20);
    const base = n / ((Date.now() - began) / 1000);
    rows.push({
      scenario: 'throughput (50 ms API, c=20)',
      measure: `plain Node loop, fetch ×20, ${n} clients (baseline)`,
      value: `${fmt(base)} calls/s`,
      ratio: '1.00',
    });
    const seedN = quick ? 40 : 100;
    began = Date.now();
    await plainLoop(ids.slice(0, seedN), s.api.baseUrl, s.api.issueToken(), 1);
    const seed = seedN / ((Date.now() - began) / 1000);
    rows.push({
      scenario: 'throughput (50 ms API, c=20)',
      measure: `the original script's way: one call at a time, ${seedN} clients`,
      value: `${fmt(seed)} calls/s`,
      ratio: fmt(seed / base, 2),
    });

    await s.startWorker('tq');
    const runs: Array<[number, number, number]> = quick
      ? [
          [4, 1, 200],
          [20, 1, n],
          [20, 25, n],
        ]
      : [
          [1, 1, 100],
          [4, 1, 500],
          [20, 1, n],
          [64, 1, n],
          [20, 25, n],
          [64, 25, n],
        ];
    for (const [concurrency, k, count] of runs) {
      const { rate, summary } = await timeBatch(s, await clientFile(count), 'tq', count, { concurrency, clientsPerActivity: k });
      const events = (await historyEvents(s, summary.batchId)).reduce((a, b) => a + b, 0);
      const isTarget = concurrency === 20;
      rows.push({
        scenario: 'throughput (50 ms API, c=20)',
        measure: `clientsync c=${concurrency}, ${k === 1 ? '1 client/activity' : `${k} clients/activity`}, ${count} clients (${fmt(events / count, 2)} history events/client)`,
        value: `${fmt(rate)} calls/s`,
        ratio: fmt(rate / base, 2),
        ...(isTarget ? { target: '≥ 0.80', verdict: rate / base >= 0.8 ? 'pass' : 'FAIL' } : {}),
      });
    }
  } finally {
    await s.close();
  }
  return rows;
}
