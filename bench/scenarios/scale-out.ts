import { startStack } from '../stack';
import { type Row, fmt, clientFile, timeBatch } from './common';

/** Target 5: what a second worker buys (here on the same 2-core machine). */
export async function scaleOut(quick: boolean): Promise<Row[]> {
  const n = quick ? 600 : 3000;
  const rows: Row[] = [];
  const s = await startStack({ latencyMs: 50 });
  try {
    await s.startWorker('tq');
    const one = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 40 });
    rows.push({
      scenario: 'scaling out (50 ms API, c=40)',
      measure: 'one worker (baseline)',
      value: `${fmt(one.rate)} calls/s`,
      ratio: '1.00',
    });
    await s.startWorker('tq');
    const two = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 40 });
    rows.push({
      scenario: 'scaling out (50 ms API, c=40)',
      measure: 'two workers, one task queue',
      value: `${fmt(two.rate)} calls/s`,
      ratio: fmt(two.rate / one.rate, 2),
    });
  } finally {
    await s.close();
  }
  return rows;
}
