import { clientIds } from '../../src/fake-api/client-file';
import { plainLoop } from '../plain-loop';
import { startStack, type Stack } from '../stack';
import { type Row, fmt, clientFile, timeBatch, timeCliBatch, historyEvents } from './common';

/** Calls/s near the API's limit, against a plain fetch loop in the same run: direct, then as a user runs it. */
export async function throughput(quick: boolean): Promise<Row[]> {
  return [...(await direct(quick)), ...(await endToEnd(quick))];
}

/** A plain loop over n ids of the stack's API: calls/s, and CPU per call (µs) of the loop and of the API. */
async function plainLoopRun(
  s: Stack,
  n: number,
  concurrency: number,
): Promise<{ rate: number; loopUs: number; apiUs: number }> {
  const ids = clientIds(n);
  const began = Date.now();
  const cpu = process.cpuUsage();
  const api = await s.api.cpuSeconds();
  await plainLoop(ids, s.api.baseUrl, s.token, concurrency);
  const used = process.cpuUsage(cpu);
  const apiUs = (((await s.api.cpuSeconds()) - api) / n) * 1e6;
  return { rate: n / ((Date.now() - began) / 1000), loopUs: (used.user + used.system) / n, apiUs };
}

/**
 * Throughput end to end: `clientsync start` (validation, workflow start, the workflow's own
 * inspection) until `completed`, against a plain loop run in the same stack just before.
 */
export async function endToEnd(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  // Each run: [flags, what they mean, clients, target ratio (undefined: shown for comparison)].
  type Run = [string[], string, number, number | undefined];
  const cases: Array<{ latencyMs: number; concurrency: number; loopN: number; runs: Run[] }> = [
    {
      latencyMs: 50,
      concurrency: 20,
      loopN: quick ? 1000 : 5000,
      runs: [
        [[], 'no tuning flags (the defaults: the pace below 32 in flight, auto chunks)', quick ? 2000 : 10_000, 0.9],
        [['--concurrency', '20'], '--concurrency 20 (as many in flight as the loop)', quick ? 2000 : 10_000, 0.9],
        [
          ['--concurrency', '20', '--clients-per-activity', '1'],
          '--concurrency 20 --clients-per-activity 1',
          quick ? 1000 : 3000,
          undefined,
        ],
        [['--concurrency', '20', '--local-calls'], '--concurrency 20 --local-calls', quick ? 1000 : 3000, undefined],
        [
          ['--concurrency', '20', '--adaptive', 'off', '--clients-per-activity', '25'],
          '--concurrency 20 --adaptive off --clients-per-activity 25',
          quick ? 2000 : 10_000,
          undefined,
        ],
      ],
    },
    {
      latencyMs: 0,
      concurrency: 32,
      loopN: quick ? 20_000 : 100_000,
      runs: [
        [['--concurrency', '32'], '--concurrency 32 (auto chunks)', quick ? 20_000 : 100_000, 0.5],
        [
          ['--concurrency', '32', '--adaptive', 'off', '--clients-per-activity', '100'],
          '--concurrency 32 --adaptive off --clients-per-activity 100',
          quick ? 20_000 : 100_000,
          undefined,
        ],
      ],
    },
  ];
  for (const c of cases) {
    const scenario = `end to end through the CLI (${c.latencyMs} ms API, c=${c.concurrency})`;
    const s = await startStack({ latencyMs: c.latencyMs });
    try {
      const loop = await plainLoopRun(s, c.loopN, c.concurrency);
      const base = loop.rate;
      rows.push({
        scenario,
        measure: `plain Node loop, fetch ×${c.concurrency}, ${c.loopN} clients (baseline; CPU per client: loop ${fmt(loop.loopUs, 0)} µs, API ${fmt(loop.apiUs, 0)} µs)`,
        value: `${fmt(base)} calls/s`,
        ratio: '1.00',
      });
      await s.startWorker('tq');
      for (const [mode, label, n, target] of c.runs) {
        const before = await s.cpu();
        const { rate, summary } = await timeCliBatch(s, await clientFile(n), 'tq', [
          '--concurrency',
          String(c.concurrency),
          ...mode,
        ]);
        const after = await s.cpu();
        // Where the machine's CPU went, per client: what says which process limits the rate.
        const perClient = (key: keyof typeof after) =>
          `${fmt(((after[key] - before[key]) / summary.processed) * 1e6, 0)} µs`;
        const ratio = rate / base;
        rows.push({
          scenario,
          measure: `clientsync start, ${label}, ${n.toLocaleString('en-US')} clients (CPU per client: worker ${perClient('workers')}, Temporal ${perClient('server')}, API ${perClient('api')}; ${fmt((await historyEvents(s, summary.batchId)).reduce((a, b) => a + b, 0) / n, 2)} history events/client)`,
          value: `${fmt(rate)} calls/s`,
          ratio: fmt(ratio, 2),
          ...(target === undefined
            ? {}
            : { target: `≥ ${fmt(target, 2)}`, verdict: ratio >= target && summary.succeeded === n ? 'pass' : 'FAIL' }),
        });
      }
    } finally {
      await s.close();
    }
  }
  return rows;
}

/** The workflow started directly (total given, no CLI), by concurrency and clients per activity. */
async function direct(quick: boolean): Promise<Row[]> {
  const n = quick ? 1000 : 5000;
  const s = await startStack({ latencyMs: 50 });
  const rows: Row[] = [];
  try {
    const ids = clientIds(n);
    const base = (await plainLoopRun(s, n, 20)).rate;
    rows.push({
      scenario: 'throughput (50 ms API, c=20)',
      measure: `plain Node loop, fetch ×20, ${n} clients (baseline)`,
      value: `${fmt(base)} calls/s`,
      ratio: '1.00',
    });
    const seedN = quick ? 40 : 100;
    const began = Date.now();
    await plainLoop(ids.slice(0, seedN), s.api.baseUrl, s.token, 1);
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
      const { rate, summary } = await timeBatch(s, await clientFile(count), 'tq', count, {
        concurrency,
        clientsPerActivity: k,
      });
      const events = (await historyEvents(s, summary.batchId)).reduce((a, b) => a + b, 0);
      // One activity per client is for seeing each call in Temporal Web: its cost is the row's point, not a target.
      const isTarget = concurrency === 20 && k > 1;
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
