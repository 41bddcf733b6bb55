import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach } from 'vitest';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import type { Harness } from './harness';
import type { Host } from './hosts';

const ROOT = path.resolve(__dirname, '../..');

export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

// Every process a test spawns is SIGKILLed after the test, passed or failed, so none outlives its test.
const spawned = new Set<CliProcess>();
afterEach(() => {
  for (const p of spawned) p.child.kill('SIGKILL');
  spawned.clear();
});

/** Where a spawned process runs: on which test host, and in which folder (default: the harness's). */
export interface SpawnPlace {
  host?: Host;
  cwd?: string;
  /** A process a suite's beforeAll starts for all its tests (a cluster): its afterAll stops it, not each test's end. */
  forSuite?: boolean;
}

/** What a spawned command is wired to: a harness, or the same four facts without one. */
type Wiring = Pick<Harness, 'address' | 'sealKey' | 'storePath' | 'dir'>;

/** Wiring without a harness: the server at `address`, a new key, and a results store in `dir`. */
export const wiringFor = (address: string, dir: string): Wiring => ({
  address,
  sealKey: randomBytes(32),
  storePath: path.join(dir, 'results.db'),
  dir,
});

/**
 * Runs `clientsync …` in a child process, wired to the harness's server, key and store: the compiled CLI (the
 * test tiers' setup builds dist/ when it is older than src/), whose worker starts on the prebuilt workflow bundle.
 */
export function spawnCli(h: Wiring, args: string[], env: NodeJS.ProcessEnv = {}, place: SpawnPlace = {}): CliProcess {
  return spawnProcess(h, [path.join(ROOT, 'dist/cli/boot/entry.js'), ...args], env, place);
}

/** Runs a TypeScript file of the project in a child process (see spawnCli). */
export function spawnNode(h: Wiring, args: string[], env: NodeJS.ProcessEnv = {}, place: SpawnPlace = {}): CliProcess {
  return spawnProcess(h, ['--import', require.resolve('tsx'), ...args], env, place);
}

/** Runs `clientsync …` as installed: bin/clientsync.js over the compiled dist/ (built by `npm test`'s pretest). */
export function spawnInstalled(h: Wiring, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  return spawnProcess(h, [path.join(ROOT, 'bin/clientsync.js'), ...args], env, {});
}

function spawnProcess(h: Wiring, nodeArgs: string[], env: NodeJS.ProcessEnv, place: SpawnPlace): CliProcess {
  const node: [string, string[]] = [process.execPath, nodeArgs];
  const [command, argv] = place.host ? place.host.wrap(...node) : node;
  const child = spawn(command, argv, {
    cwd: place.cwd ?? h.dir,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.address,
      CLIENTSYNC_SEAL_KEY: h.sealKey.toString('base64'),
      RESULTS_DATABASE_URL: h.storePath,
      CLIENTSYNC_HOME: path.join(h.dir, '.clientsync'),
      // A worker deployment per test: a worker makes its build current, and builds of other tests (the source's,
      // the installed CLI's) must not take each other's task queues on the shared server.
      CLIENTSYNC_DEPLOYMENT: `test-${path.basename(h.dir)}`,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const p = { child, output: () => out, exited };
  if (!place.forSuite) spawned.add(p);
  return p;
}

/** Starts `clientsync worker` on the harness's task queue and waits until it polls. */
export async function spawnWorker(
  h: Harness,
  env: NodeJS.ProcessEnv = {},
  place: SpawnPlace = {},
): Promise<CliProcess> {
  return untilOutput(spawnCli(h, ['worker', '--task-queue', h.taskQueue], env, place), WORKER_READY);
}

/** Waits until the process has printed `marker`; throws with its output if it exits or takes over `ms` (a minute). */
export async function untilOutput(p: CliProcess, marker: string | RegExp, ms = 60_000): Promise<CliProcess> {
  const deadline = Date.now() + ms;
  const printed = () => (typeof marker === 'string' ? p.output().includes(marker) : marker.test(p.output()));
  while (!printed()) {
    if (Date.now() > deadline) throw new Error(`no "${marker}" within ${ms / 1000} s: ${p.output()}`);
    const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r(undefined), 100))]);
    if (code !== undefined) throw new Error(`exited (${code}) before "${marker}": ${p.output()}`);
  }
  return p;
}
