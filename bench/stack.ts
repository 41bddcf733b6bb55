import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startBatchWorkflow } from '../src/client';
import { startFakeApi, type FakeApi, type FakeApiOptions } from '../src/fake-api';
import type { BatchInput, BatchSummary } from '../src/shared';
import pg from 'pg';
import { startCluster } from '../src/temporal-server/cluster/cluster';
import { startDevServer } from '../src/temporal-server/dev-server';
import { WORKER_READY } from '../src/cli/commands/worker';
import { sealToken } from '../src/token/seal';
import { batchInputFor } from '../test/helpers/batch-input';
import { freeClusterPort, freePort } from '../test/helpers/ports';
import { provideTestDatabase } from '../test/helpers/test-deps';
import { timeVerbose } from '../test/helpers/time-verbose';

const ROOT = path.resolve(__dirname, '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Peak RSS in kB, from /usr/bin/time -v, once the process has exited. */
  peakRssKb(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** One Temporal (dev server, or a cluster on PostgreSQL), one fake API, a client: what every benchmark runs against. */
export interface Stack {
  dir: string;
  server: { address: string };
  /** What the CLI and the workers of this stack need in their environment (server, key, results store). */
  env: NodeJS.ProcessEnv;
  client: Client;
  api: FakeApi;
  sealKey: Buffer;
  startWorker(taskQueue: string, args?: string[]): Promise<WorkerProcess>;
  startBatch(file: string, taskQueue: string, input?: Partial<BatchInput>): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** A Temporal cluster on PostgreSQL (`clientsync server --postgres`) and a PostgreSQL results store, as on several hosts. */
  cluster?: boolean;
}

/** The Temporal server of a stack: the SQLite dev server, or a cluster and results store in databases of its own. */
async function startTemporal(dir: string, cluster: boolean): Promise<{ address: string; storeUrl?: string; stop(): Promise<void> }> {
  if (!cluster) return startDevServer({ port: await freePort(), uiPort: await freePort(), dbFile: path.join(dir, 'temporal.db'), headless: true });
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
      for (const db of [name, `${name}_visibility`, `${name}_results`]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
      await database.stop();
    },
  };
}

export async function startStack(api: FakeApiOptions = {}, opts: StackOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-bench-'));
  const server = await startTemporal(dir, opts.cluster === true);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const fake = await startFakeApi({ seed: 3, ...api });
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
    async startWorker(taskQueue, args = []) {
      const timeFile = path.join(dir, `time-${randomUUID()}.txt`);
      const child = spawn(
        '/usr/bin/time',
        ['-v', '-o', timeFile, process.execPath, path.join(ROOT, 'dist/cli/run.js'), 'worker', '--task-queue', taskQueue, ...args],
        {
          env: {
            ...process.env,
            ...env,
            // As README advises for workers: a heap cap makes V8 collect instead of growing (568 → 337 MB peak RSS).
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=192`.trim(),
          },
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
        await new Promise((r) => setTimeout(r, 100));
      }
      const w: WorkerProcess = {
        child,
        async peakRssKb() {
          await exited;
          const { readFile } = await import('node:fs/promises');
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
      return startBatchWorkflow(client, batchInputFor(file, fake.baseUrl, sealToken(fake.issueToken(), sealKey), input, 'bench'), taskQueue);
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
