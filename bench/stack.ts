import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { openConnection } from '../src/connection/connection';
import { startBatchWorkflow } from '../src/connection/start-batch';
import { Ledger, type FakeApiOptions } from '../src/fake-api';
import type { BatchInput } from '../src/contract/batch-input';
import type { BatchSummary } from '../src/contract/progress';
import pg from 'pg';
import { startCluster } from '../src/temporal-server/cluster/cluster';
import { startDevServer } from '../src/temporal-server/dev-server';
import { WORKER_READY } from '../src/cli/commands/worker/worker';
import { sealToken } from '../src/token/seal';
import { batchInputFor } from '../test/helpers/batch-input';
import { freeClusterPort, freePort } from '../test/helpers/ports';
import { provideTestDatabase } from '../test/helpers/test-deps';
import { timeVerbose } from '../test/helpers/time-verbose';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = path.resolve(__dirname, '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Peak RSS in kB, from /usr/bin/time -v, once the process has exited. */
  peakRssKb(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/**
 * The fake clients API as a process of its own (`clientsync fake-api`), so that its CPU shows apart from
 * the worker's and the bench's. Driven over HTTP: tokens, the ledger, knobs.
 */
export interface BenchApi {
  origin: string;
  baseUrl: string;
  issueToken(): Promise<string>;
  ledger(): Promise<Ledger>;
  /** The ledger against a generated file of `count` clients, for ledgers too large to fetch: how many of each kind. */
  check(
    count: number,
  ): Promise<
    Record<'missing' | 'repeated' | 'repeatedWithOtherKey' | 'unexpected', { count: number; first: string[] }>
  >;
  resetLedger(): Promise<void>;
  configure(changes: Partial<FakeApiOptions>): Promise<void>;
  /** The API process's CPU time so far (user + system), in seconds. */
  cpuSeconds(): Promise<number>;
  close(): Promise<void>;
}

/** Flags of `clientsync fake-api` for the knobs a benchmark sets at start. */
function fakeApiFlags(o: FakeApiOptions): string[] {
  const flags: Array<[string, number | undefined]> = [
    ['--latency-ms', o.latencyMs],
    ['--jitter-ms', o.jitterMs],
    ['--expire-after', o.expireAfter],
    ['--token-ttl', o.tokenTtlSeconds],
    ['--seed', o.seed],
  ];
  return [
    ...flags.flatMap(([flag, v]) => (v === undefined ? [] : [flag, String(v)])),
    ...(o.compactLedger ? ['--compact-ledger'] : []),
  ];
}

export async function startApiProcess(options: FakeApiOptions): Promise<BenchApi> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'dist/cli/boot/entry.js'), 'fake-api', '--port', '0', ...fakeApiFlags(options)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /on (http:\/\/[\d.:]+)\/clients\//.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`fake-api exited (${code}) before listening: ${out}`)));
  });
  const post = async (p: string, body?: unknown) => {
    const res = await fetch(`${origin}${p}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`fake-api ${p}: ${res.status}`);
    return res;
  };
  return {
    origin,
    baseUrl: `${origin}/clients/`,
    issueToken: async () => ((await (await post('/token')).json()) as { token: string }).token,
    ledger: async () =>
      Ledger.fromJSON((await (await fetch(`${origin}/_stats`)).json()) as Parameters<typeof Ledger.fromJSON>[0]),
    check: async (count) =>
      (await (await fetch(`${origin}/_check?count=${count}`)).json()) as Awaited<ReturnType<BenchApi['check']>>,
    resetLedger: async () => void (await post('/_reset')),
    configure: async (changes) => void (await post('/_configure', changes)),
    cpuSeconds: () => treeCpuSeconds([child.pid!]),
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** BENCH_CPU_PROF=DIR profiles each worker with V8's sampler (bench/cpu-profile.ts reads the files). */
function profileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these. */
const CLOCK_TICKS = 100;

/** CPU time (user + system, all threads) of the live processes under `roots`, themselves included, in seconds. */
export async function treeCpuSeconds(roots: number[]): Promise<number> {
  const procs: Array<{ pid: number; ppid: number; ticks: number }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    if (fields.length > 12)
      procs.push({ pid: Number(entry), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  const inTree = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!inTree.has(p.pid) && inTree.has(p.ppid)) grew = inTree.add(p.pid) !== undefined;
  }
  return procs.filter((p) => inTree.has(p.pid)).reduce((sum, p) => sum + p.ticks, 0) / CLOCK_TICKS;
}

/** One Temporal (dev server, or a cluster on PostgreSQL), one fake API, a client: what every benchmark runs against. */
export interface Stack {
  dir: string;
  server: { address: string };
  /** What the CLI and the workers of this stack need in their environment (server, key, results store). */
  env: NodeJS.ProcessEnv;
  client: Client;
  api: BenchApi;
  sealKey: Buffer;
  /** The first token the API issued; tokens do not expire unless the API was started to make them. */
  token: string;
  startWorker(taskQueue: string, args?: string[], extraEnv?: NodeJS.ProcessEnv): Promise<WorkerProcess>;
  /** CPU seconds so far of the dev server (NaN on a cluster), the worker processes and the API process. */
  cpu(): Promise<{ server: number; workers: number; api: number }>;
  startBatch(file: string, taskQueue: string, input?: Partial<BatchInput>): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

export interface StackOptions {
  /**
   * A Temporal cluster on PostgreSQL (`clientsync server --postgres`) and a PostgreSQL results store, as on several
   * hosts.
   */
  cluster?: boolean;
}

/** The Temporal server of a stack: the SQLite dev server, or a cluster and results store in databases of its own. */
async function startTemporal(
  dir: string,
  cluster: boolean,
): Promise<{ address: string; storeUrl?: string; child?: ChildProcess; stop(): Promise<void> }> {
  if (!cluster)
    return startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: path.join(dir, 'temporal.db'),
      headless: true,
    });
  const database = await provideTestDatabase((line) => console.log(line));
  const name = `cs_bench_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const urlOf = (db: string) => Object.assign(new URL(database.url), { pathname: `/${db}` }).toString();
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}_results`);
  const c = await startCluster({
    postgresUrl: urlOf(name),
    ip: '127.0.0.1',
    port: await freeClusterPort(),
    uiPort: await freePort(),
    historyShards: 4,
    dir,
    log: () => {},
  });
  return {
    address: c.address,
    storeUrl: urlOf(`${name}_results`),
    async stop() {
      await c.stop();
      for (const db of [name, `${name}_visibility`, `${name}_results`])
        await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
      await database.stop();
    },
  };
}

export async function startStack(api: FakeApiOptions = {}, opts: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-bench-'));
  const server = await startTemporal(dir, opts.cluster === true);
  const connection = await openConnection({ address: server.address });
  const client = new Client({ connection });
  const fake = await startApiProcess({ seed: 3, ...api });
  const token = await fake.issueToken();
  const sealKey = randomBytes(32);
  const workers: WorkerProcess[] = [];
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: server.address,
    CLIENTSYNC_SEAL_KEY: sealKey.toString('base64'),
    CLIENTSYNC_HOME: path.join(dir, '.clientsync'),
    ...(server.storeUrl ? { RESULTS_DATABASE_URL: server.storeUrl } : {}),
  };

  return {
    dir,
    server,
    env,
    client,
    api: fake,
    sealKey,
    token,
    async cpu() {
      const live = workers.filter((w) => w.child.exitCode === null).map((w) => w.child.pid!);
      return {
        server: server.child ? await treeCpuSeconds([server.child.pid!]) : NaN,
        workers: await treeCpuSeconds(live),
        api: await fake.cpuSeconds(),
      };
    },
    async startWorker(taskQueue, args = [], extraEnv = {}) {
      const timeFile = path.join(dir, `time-${randomUUID()}.txt`);
      const child = spawn(
        '/usr/bin/time',
        [
          '-v',
          '-o',
          timeFile,
          process.execPath,
          ...profileArgs(),
          path.join(ROOT, 'bin/clientsync.js'),
          'worker',
          '--task-queue',
          taskQueue,
          ...args,
        ],
        {
          // As a user starts it: no NODE_OPTIONS; the worker caps its own heap (src/cli/boot/heap-cap.ts).
          env: { ...process.env, ...env, ...extraEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const deadline = Date.now() + 60_000;
      while (!out.includes(WORKER_READY)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start: ${out}`);
        await sleep(100);
      }
      const w: WorkerProcess = {
        child,
        async peakRssKb() {
          await exited;
          return timeVerbose(await readFile(timeFile, 'utf8').catch(() => '')).peakRssKb;
        },
        async stop() {
          // /usr/bin/time forwards nothing: signal the node process, its only child.
          const { execFileSync } = await import('node:child_process');
          try {
            const pid = execFileSync('pgrep', ['-P', String(child.pid)])
              .toString()
              .trim();
            if (pid) process.kill(Number(pid), 'SIGTERM');
          } catch {
            child.kill('SIGTERM');
          }
          await exited;
        },
      };
      workers.push(w);
      return w;
    },
    startBatch(file, taskQueue, input = {}) {
      return startBatchWorkflow(
        client,
        batchInputFor(file, fake.baseUrl, sealToken(token, sealKey), input, 'bench'),
        taskQueue,
      );
    },
    async close() {
      for (const w of workers) if (w.child.exitCode === null) await w.stop();
      await fake.close();
      await connection.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Calls per second of a finished batch, from its own summary. */
export function callsPerSecond(summary: BatchSummary): number {
  return summary.processed / (summary.durationMs / 1000);
}
