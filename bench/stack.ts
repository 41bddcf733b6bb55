import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { startBatchWorkflow } from '../src/client';
import { detectFormat } from '../src/domain/sources';
import { startFakeApi, type FakeApi, type FakeApiOptions } from '../src/fake-api';
import type { BatchInput, BatchSummary } from '../src/shared';
import { startDevServer, type DevServer } from '../src/temporal-server/dev-server';
import { sealToken } from '../src/token/seal';
import { freePort } from '../test/helpers/ports';

const ROOT = path.resolve(__dirname, '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Peak RSS in kB, from /usr/bin/time -v, once the process has exited. */
  peakRssKb(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** One dev server, one fake API, a client: what every benchmark runs against. */
export interface Stack {
  dir: string;
  server: DevServer;
  client: Client;
  api: FakeApi;
  sealKey: Buffer;
  startWorker(taskQueue: string, args?: string[]): Promise<WorkerProcess>;
  startBatch(file: string, taskQueue: string, input?: Partial<BatchInput>): Promise<WorkflowHandle>;
  close(): Promise<void>;
}

export async function startStack(api: FakeApiOptions = {}): Promise<Stack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-bench-'));
  const server = await startDevServer({ port: await freePort(), uiPort: await freePort(), dbFile: path.join(dir, 'temporal.db'), headless: true });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const fake = await startFakeApi({ seed: 3, ...api });
  const sealKey = randomBytes(32);
  const workers: WorkerProcess[] = [];

  return {
    dir,
    server,
    client,
    api: fake,
    sealKey,
    async startWorker(taskQueue, args = []) {
      const timeFile = path.join(dir, `time-${randomUUID()}.txt`);
      const child = spawn('/usr/bin/time', ['-v', '-o', timeFile, process.execPath, path.join(ROOT, 'dist/cli/run.js'), 'worker', '--task-queue', taskQueue, ...args], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: server.address,
          CLIENTSYNC_SEAL_KEY: sealKey.toString('base64'),
          CLIENTSYNC_HOME: path.join(dir, '.clientsync'),
          // As README advises for workers: a heap cap makes V8 collect instead of growing (568 → 337 MB peak RSS).
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=192`.trim(),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const deadline = Date.now() + 60_000;
      while (!out.includes('clientsync worker polling')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const w: WorkerProcess = {
        child,
        async peakRssKb() {
          await exited;
          const { readFile } = await import('node:fs/promises');
          const text = await readFile(timeFile, 'utf8').catch(() => '');
          const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
          return m ? Number(m[1]) : undefined;
        },
        async stop() {
          // /usr/bin/time forwards nothing: signal the node process, its only child.
          const { execFileSync } = await import('node:child_process');
          try {
            const pid = execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim();
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
      const full: BatchInput = {
        batchId: `bench-${randomUUID().slice(0, 8)}`,
        source: { path: file, format: detectFormat(file) },
        apiUrl: fake.baseUrl,
        sealedToken: sealToken(fake.issueToken(), sealKey),
        ...input,
      };
      return startBatchWorkflow(client, full, taskQueue);
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
