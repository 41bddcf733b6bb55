import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { searchAttributeDefinitions } from '../search-attributes';
import { serverAnswers } from '../temporal-connection';
import { resolveTemporalBinary } from './provision';
import { recordServer } from './server-record';
import { spawnTied } from './tied-spawn';

export interface DevServerOptions {
  /** gRPC port (default 7233). */
  port?: number;
  /** Temporal Web port (default 8233). */
  uiPort?: number;
  /** SQLite file; batches survive a restart on the same file. */
  dbFile: string;
  /** Disable Temporal Web (tests that do not look at it start faster). */
  headless?: boolean;
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

/** The arguments of `temporal server start-dev`, bound to loopback with the project's search attributes. */
export function devServerArgs(opts: Required<Pick<DevServerOptions, 'port' | 'uiPort' | 'dbFile'>> & { headless?: boolean }): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--db-filename', opts.dbFile];
  args.push('--namespace', 'default', '--log-level', 'warn');
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  for (const [name, type] of searchAttributeDefinitions) args.push('--search-attribute', `${name}=${type}`);
  // Batches poll activity completions in bursts; let the dev server hand out tasks without its default RPS cap.
  args.push('--dynamic-config-value', 'frontend.namespaceRPS=100000');
  // Eager activities: an activity scheduled by a workflow task goes straight back to the worker that completed
  // it, skipping a round through matching. Measured: one-client-per-activity batches 23% faster at c=20
  // (bench/README.md). Off by default in the server.
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  // WAL with synchronous=NORMAL: a crashed server loses nothing; only a power cut can lose the last commits.
  // Measured: ~15% more calls/s than SQLite's defaults (bench/README.md). CLIENTSYNC_SQLITE_PRAGMAS overrides.
  const pragmas = process.env.CLIENTSYNC_SQLITE_PRAGMAS ?? 'journal_mode=wal,synchronous=normal';
  for (const p of pragmas.split(',').filter(Boolean)) args.push('--sqlite-pragma', p);
  return args;
}

/** Starts `temporal server start-dev` and resolves once it answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? 7233;
  const uiPort = options.uiPort ?? 8233;
  const address = `127.0.0.1:${port}`;
  const binary = await resolveTemporalBinary(options.log);
  await mkdir(path.dirname(path.resolve(options.dbFile)), { recursive: true });
  const args = devServerArgs({ port, uiPort, dbFile: path.resolve(options.dbFile), headless: options.headless });
  const child = spawnTied(binary.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // The first lines say why it stopped (a Go panic's message comes before its stack); the last, where.
  let head = '';
  let output = '';
  const keep = (chunk: Buffer) => {
    if (head.length < 1200) head = (head + chunk.toString()).slice(0, 1200);
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code ?? -1), resolve())));

  const deadline = Date.now() + 60_000;
  while (!(await serverAnswers(address, 500))) {
    if (exited !== null) {
      const tail = output.trim().slice(-800);
      throw new Error(`the Temporal dev server exited with code ${exited}: ${head.trim()}${tail && !head.includes(tail) ? ` … ${tail}` : ''}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Temporal dev server did not answer at ${address} within 60 s: ${output.trim().slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const uiUrl = options.headless ? undefined : `http://127.0.0.1:${uiPort}`;
  const forget = recordServer(address, uiUrl);
  void exitPromise.then(forget);
  const stop = async () => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(timer);
  };
  return { address, uiUrl, child, stop };
}
