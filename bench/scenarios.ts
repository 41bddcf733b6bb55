import { execFile } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { readPage, scanSource, START_CURSOR, type SourceCursor } from '../src/domain/sources';
import { clientIds, writeSeedClientFile } from '../src/fake-api/client-file';
import { progressQuery, tokenRefreshedSignal, type BatchOptionsInput, type BatchSummary } from '../src/shared';
import { sealToken } from '../src/token/seal';
import { plainLoop } from './plain-loop';
import { startStack, type Stack } from './stack';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
export const DATA = path.join(__dirname, 'data');

export interface Row {
  scenario: string;
  measure: string;
  value: string;
  /** Against the baseline measured in the same run. */
  ratio?: string;
  target?: string;
  verdict?: 'pass' | 'FAIL';
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A seed-format file of n clients under bench/data (not committed), made once and reused. */
export async function clientFile(n: number): Promise<string> {
  await mkdir(DATA, { recursive: true });
  const file = path.join(DATA, `clients-${n}.json`);
  if (!(await stat(file).catch(() => undefined))) await writeSeedClientFile(file, n, { groupSize: 1000 });
  return file;
}

async function timeBatch(s: Stack, file: string, taskQueue: string, total: number, options: BatchOptionsInput): Promise<{ rate: number; summary: BatchSummary }> {
  const began = Date.now();
  const handle = await s.startBatch(file, taskQueue, { total, options });
  const summary = (await handle.result()) as BatchSummary;
  return { rate: total / ((Date.now() - began) / 1000), summary };
}

/** Events in each run of a batch (from describe: a large run's history can exceed one gRPC message). */
async function historyEvents(s: Stack, batchId: string): Promise<number[]> {
  const out: number[] = [];
  for await (const wf of s.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) {
    out.push((await s.client.workflow.getHandle(batchId, wf.runId).describe()).historyLength);
  }
  return out;
}

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
    rows.push({ scenario: 'throughput (50 ms API, c=20)', measure: `plain Node loop, fetch ×20, ${n} clients (baseline)`, value: `${fmt(base)} calls/s`, ratio: '1.00' });
    const seedN = quick ? 40 : 100;
    began = Date.now();
    await plainLoop(ids.slice(0, seedN), s.api.baseUrl, s.api.issueToken(), 1);
    const seed = seedN / ((Date.now() - began) / 1000);
    rows.push({ scenario: 'throughput (50 ms API, c=20)', measure: `the seed's way: one call at a time, ${seedN} clients`, value: `${fmt(seed)} calls/s`, ratio: fmt(seed / base, 2) });

    await s.startWorker('tq');
    const runs: Array<[number, number, number]> = quick
      ? [[4, 1, 200], [20, 1, n], [20, 25, n]]
      : [[1, 1, 100], [4, 1, 500], [20, 1, n], [64, 1, n], [20, 25, n], [64, 25, n]];
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

/** Target 2: from tokenRefreshed sent to the first API call after it, median under 250 ms. */
export async function resumeLatency(quick: boolean): Promise<Row[]> {
  const n = quick ? 600 : 2000;
  const rows: Row[] = [];
  for (const k of [1, 25]) {
    const s = await startStack({ latencyMs: 5, expireAfter: quick ? 150 : 250 });
    try {
      await s.startWorker('tq');
      const handle = await s.startBatch(await clientFile(n), 'tq', { total: n, options: { concurrency: 20, clientsPerActivity: k } });
      const latencies: number[] = [];
      for (;;) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p?.state === 'completed') break;
        if (p?.state === 'waiting-for-token' && p.inFlight === 0) {
          const sentAt = Date.now();
          await handle.signal(tokenRefreshedSignal, { sealedToken: sealToken(s.api.issueToken(), s.sealKey) });
          while (!s.api.ledger.successTimes.some((t) => t >= sentAt)) await new Promise((r) => setTimeout(r, 2));
          latencies.push(s.api.ledger.successTimes.find((t) => t >= sentAt)! - sentAt);
        }
        await new Promise((r) => setTimeout(r, 10));
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

async function peakRss(args: string[]): Promise<{ kb: number; seconds: number }> {
  const { stderr } = await exec('/usr/bin/time', ['-v', process.execPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return { kb, seconds };
}

/** Target 3 (parts): validation memory flat in file size; the last page costs what the first does. */
export async function sourceScaling(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  let first: number | undefined;
  for (const n of sizes) {
    const file = await clientFile(n);
    const { kb, seconds } = await peakRss([path.join(ROOT, 'dist/cli/run.js'), 'start', '--clients', file, '--dry-run']);
    first ??= kb;
    rows.push({ scenario: 'start validation (streaming)', measure: `${n.toLocaleString('en')} clients, peak RSS (${fmt(seconds, 1)} s)`, value: `${fmt(kb / 1024)} MB`, ratio: fmt(kb / first, 2) });
  }
  // What is retained rather than merely not yet collected: the largest file again with the heap capped.
  const largest = sizes[sizes.length - 1]!;
  const capped = await peakRss(['--max-old-space-size=64', path.join(ROOT, 'dist/cli/run.js'), 'start', '--clients', await clientFile(largest), '--dry-run']);
  rows.push({
    scenario: 'start validation (streaming)',
    measure: `${largest.toLocaleString('en')} clients, heap capped at 64 MB (${fmt(capped.seconds, 1)} s)`,
    value: `${fmt(capped.kb / 1024)} MB`,
    ratio: fmt(capped.kb / first!, 2),
  });
  const big = await clientFile(sizes[sizes.length - 1]!);
  const source = { path: big, format: 'seed-json' as const };
  let nearEnd: SourceCursor | undefined;
  let i = 0;
  const total = sizes[sizes.length - 1]!;
  for await (const { after } of scanSource(source)) if (++i === total - 200) nearEnd = after;
  const timeRead = async (cursor: SourceCursor) => {
    const ts: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t = process.hrtime.bigint();
      await readPage(source, cursor, 200);
      ts.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return median(ts);
  };
  const firstPage = await timeRead(START_CURSOR);
  const lastPage = await timeRead(nearEnd!);
  rows.push({ scenario: 'page reads', measure: `first page of ${total.toLocaleString('en')} (baseline)`, value: `${fmt(firstPage, 2)} ms`, ratio: '1.00' });
  rows.push({
    scenario: 'page reads',
    measure: `last page of ${total.toLocaleString('en')}`,
    value: `${fmt(lastPage, 2)} ms`,
    ratio: fmt(lastPage / firstPage, 2),
    target: '≤ 2.00',
    verdict: lastPage / firstPage <= 2 ? 'pass' : 'FAIL',
  });
  return rows;
}

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
    const check = s.api.ledger.check(clientIds(n));
    return [
      {
        scenario: 'a million clients (0 ms API)',
        measure: `${summary.succeeded.toLocaleString('en')} succeeded, ${check.missing.length} missing, ${check.repeated.length} repeated; ${summary.runs} runs`,
        value: `${fmt(seconds / 60)} min (${fmt(n / seconds)} calls/s)`,
        verdict: check.missing.length === 0 && summary.succeeded === n ? 'pass' : 'FAIL',
      },
      { scenario: 'a million clients (0 ms API)', measure: 'worker peak RSS', value: `${fmt((rss ?? NaN) / 1024)} MB`, target: '< 400 MB', verdict: (rss ?? Infinity) < 400 * 1024 ? 'pass' : 'FAIL' },
      { scenario: 'a million clients (0 ms API)', measure: 'largest run history', value: `${Math.max(...events)} events`, target: '< 5000', verdict: Math.max(...events) < 5000 ? 'pass' : 'FAIL' },
    ];
  } finally {
    await s.close();
  }
}

/** The API's observed rate: calls per second in the busiest window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= ms) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best / (ms / 1000);
}

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
      s.api.ledger.reset();
      await timeBatch(s, await clientFile(n), queue, n, options);
      const times = [...s.api.ledger.successTimes].sort((a, b) => a - b);
      const avg = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
      const peak1 = busiestWindow(times, 1000);
      const peak5 = busiestWindow(times, 5000);
      rows.push({
        scenario: 'rate limits (10 ms API)',
        measure: `${name}: busiest 5 s window (mean ${fmt(avg)}/s, busiest single second ${peak1})`,
        value: `${fmt(peak5)} calls/s`,
        target: `≤ ${fmt(limit * 1.05, 0)}`,
        verdict: peak5 <= limit * 1.05 ? 'pass' : 'FAIL',
      });
    }
    s.api.ledger.reset();
    const clean = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 20 });
    s.api.configure({ rateLimitRate: 0.1, retryAfterSeconds: 1 });
    const limited = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 20 });
    rows.push({
      scenario: 'rate limits (10 ms API)',
      measure: `10% of calls answered 429 Retry-After: 1 (${s.api.ledger.statusCounts['429'] ?? 0} 429s; ${limited.summary.failed} clients failed)`,
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

/** Target 5: what a second worker buys (here on the same 2-core machine). */
export async function scaleOut(quick: boolean): Promise<Row[]> {
  const n = quick ? 600 : 3000;
  const rows: Row[] = [];
  const s = await startStack({ latencyMs: 50 });
  try {
    await s.startWorker('tq');
    const one = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 40 });
    rows.push({ scenario: 'scaling out (50 ms API, c=40)', measure: 'one worker (baseline)', value: `${fmt(one.rate)} calls/s`, ratio: '1.00' });
    await s.startWorker('tq');
    const two = await timeBatch(s, await clientFile(n), 'tq', n, { concurrency: 40 });
    rows.push({ scenario: 'scaling out (50 ms API, c=40)', measure: 'two workers, one task queue', value: `${fmt(two.rate)} calls/s`, ratio: fmt(two.rate / one.rate, 2) });
  } finally {
    await s.close();
  }
  return rows;
}

export async function machine(): Promise<string> {
  const cpu = (await readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.+)/)?.[1] ?? 'unknown CPU';
  const { cpus, totalmem } = await import('node:os');
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
