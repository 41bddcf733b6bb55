import type { BatchSummary } from '../../src/contract/progress';
import { busiestRate } from '../../test/helpers/busiest-window';
import { startNginx } from '../../test/helpers/nginx';
import { startOutageProxy } from '../../test/helpers/outage-proxy';
import { startStack, type Stack } from '../stack';
import { type Row, fmt, clientFile, timeCliBatch } from './common';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pace against a real rate limiter, an API that states its limit, and an outage: as a user runs it, through the
 * CLI.
 */
export async function pace(quick: boolean): Promise<Row[]> {
  const s = await startStack({ latencyMs: 0 });
  try {
    await s.startWorker('tq');
    return [...(await behindNginx(s, quick)), ...(await statedPolicy(s, quick)), ...(await outage(s, quick))];
  } finally {
    await s.close();
  }
}

/**
 * nginx's limit_req at 100/s (burst 5, no Retry-After): the pace found, and the share of requests turned away, against
 * 1.0's fixed way.
 */
async function behindNginx(s: Stack, quick: boolean): Promise<Row[]> {
  const scenario = "behind nginx's limit_req (100/s, burst 5; 0 ms API)";
  const n = quick ? 1000 : 4000;
  const rows: Row[] = [];
  const file = await clientFile(n);
  for (const [label, run] of [
    [
      'clientsync start --concurrency 32 (the pace)',
      (url: string) => timeCliBatch(s, file, 'tq', ['--concurrency', '32', '--api-url', url]),
    ],
    [
      'as 1.0 ran it: 32 calls in flight, one activity each, each 429 retried alone',
      (url: string) => unpaced(s, file, url, n),
    ],
  ] as const) {
    const nginx = await startNginx(s.api.origin, { rate: 100, burst: 5 });
    try {
      const began = Date.now();
      const { summary } = await run(nginx.baseUrl);
      const ratio = summary.succeeded / ((Date.now() - began) / 1000) / 100;
      const requests = await nginx.requests();
      const share = requests.filter((r) => r.status === 429).length / requests.length;
      const paced = label.startsWith('clientsync');
      rows.push({
        scenario,
        measure: `${label}, ${n.toLocaleString('en')} clients: ${fmt(share * 100)}% of ${requests.length} requests answered 429, ${summary.failed} failed`,
        value: `${fmt(ratio * 100)} calls/s`,
        ratio: fmt(ratio, 2),
        ...(paced
          ? {
              target: '≥ 0.85, < 5% 429',
              verdict: ratio >= 0.85 && share < 0.05 && summary.failed === 0 ? 'pass' : 'FAIL',
            }
          : {}),
      });
    } finally {
      await nginx.close();
    }
  }
  return rows;
}

/** A batch as 1.0 started it: options that record no pace. */
async function unpaced(s: Stack, file: string, apiUrl: string, n: number): Promise<{ summary: BatchSummary }> {
  const handle = await s.startBatch(file, 'tq', { apiUrl, total: n, options: { concurrency: 32 } });
  return { summary: (await handle.result()) as BatchSummary };
}

/** An API that states `RateLimit-Policy: 50 per second`: the busiest 5 s window of the calls it got. */
async function statedPolicy(s: Stack, quick: boolean): Promise<Row[]> {
  const n = quick ? 400 : 1500;
  await s.api.configure({ rateLimitPolicy: '"default";q=50;w=1' });
  await s.api.resetLedger();
  try {
    await timeCliBatch(s, await clientFile(n), 'tq', []);
    const times = [...(await s.api.ledger()).requestTimes].sort((a, b) => a - b);
    const settled = times.filter((t) => t >= times[0]! + 1000);
    const peak = busiestRate(settled, 5000);
    return [
      {
        scenario: 'an API that states RateLimit-Policy: 50/s (0 ms API)',
        measure: `clientsync start, no tuning flags, ${n.toLocaleString('en')} clients: busiest 5 s window after the first second`,
        value: `${fmt(peak)} calls/s`,
        target: '≤ 52.5',
        verdict: peak <= 52.5 ? 'pass' : 'FAIL',
      },
    ];
  } finally {
    await s.api.configure({ rateLimitPolicy: '' });
  }
}

/**
 * The API down mid-batch (connections refused, then hanging): requests sent meanwhile, clients failed, and how soon the
 * batch resumed.
 */
async function outage(s: Stack, quick: boolean): Promise<Row[]> {
  const downMs = quick ? 30_000 : 180_000;
  const n = 600;
  const proxy = await startOutageProxy({ host: '127.0.0.1', port: Number(new URL(s.api.origin).port) });
  await s.api.resetLedger();
  try {
    const batch = timeCliBatch(s, await clientFile(n), 'tq', ['--rps', '20', '--api-url', `${proxy.origin}/clients/`]);
    while ((await s.api.ledger()).totalSuccesses < 150) await sleep(200);
    const downAt = Date.now();
    proxy.set('refuse');
    await sleep(downMs / 2);
    proxy.set('hang');
    await sleep(downMs / 2);
    const backAt = Date.now();
    proxy.set('up');
    const { summary } = await batch;
    const ledger = await s.api.ledger();
    const resumedMs = ledger.successTimes.filter((t) => t >= backAt).sort((a, b) => a - b)[0]! - backAt;
    const sent = proxy.outageRequests().filter((t) => t >= downAt);
    const scenario = `the API down ${downMs / 60_000} min mid-batch (refused, then hanging; 600 clients, --rps 20)`;
    return [
      {
        scenario,
        measure: `requests sent during the outage (one probe at a time once it was seen; ${summary.failed} clients failed)`,
        value: `${sent.length}`,
        verdict: summary.failed === 0 && summary.succeeded === n ? 'pass' : 'FAIL',
      },
      {
        scenario,
        measure: "first success after the API's return",
        value: `${fmt(resumedMs / 1000)} s`,
        target: '< 10 s',
        verdict: resumedMs < 10_000 ? 'pass' : 'FAIL',
      },
    ];
  } finally {
    await proxy.close();
  }
}
