import { progressQuery, tokenRefreshedSignal } from '../../src/contract/messages';
import { sealToken } from '../../src/token/seal';
import { startStack } from '../stack';
import { type Row, median, clientFile } from './common';
import { setTimeout as sleep } from 'node:timers/promises';

/** Target 2: from tokenRefreshed sent to the first API call after it, median under 250 ms. */
export async function resumeLatency(quick: boolean): Promise<Row[]> {
  const n = quick ? 600 : 2000;
  const rows: Row[] = [];
  for (const k of [1, 25]) {
    const s = await startStack({ latencyMs: 5, expireAfter: quick ? 150 : 250 });
    try {
      await s.startWorker('tq');
      const handle = await s.startBatch(await clientFile(n), 'tq', {
        total: n,
        options: { concurrency: 20, clientsPerActivity: k },
      });
      const latencies: number[] = [];
      for (;;) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p?.state === 'completed') break;
        if (p?.state === 'waiting-for-token' && p.inFlight === 0) {
          const sealedToken = sealToken(await s.api.issueToken(), s.sealKey);
          const sentAt = Date.now();
          await handle.signal(tokenRefreshedSignal, { sealedToken });
          let first: number | undefined;
          while ((first = (await s.api.ledger()).successTimes.find((t) => t >= sentAt)) === undefined) await sleep(5);
          latencies.push(first - sentAt);
        }
        await sleep(10);
      }
      const m = median(latencies);
      rows.push({
        scenario: 'fast resume',
        measure: `tokenRefreshed → first call, ${k} client(s)/activity, ${latencies.length} refreshes (max ${Math.max(...latencies)} ms)`,
        value: `median ${m} ms`,
        target: '< 250 ms',
        verdict: m < 250 ? 'pass' : 'FAIL',
      });
    } finally {
      await s.close();
    }
  }
  return rows;
}
