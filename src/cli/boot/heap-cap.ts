import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { commandName } from './command-line';

// A worker bounds its own heap. Without a cap V8 keeps garbage it could collect, and a long batch grows a
// worker to 600 MB and more (bench/README.md: 619 MB at 100,000 clients; 346 MB at a million with a cap).
// The cap is a start-up flag of node, so `clientsync worker` started without one runs itself again with it.

/** The old-space cap, in MB, of a worker started without one. */
export const WORKER_HEAP_MB = 256;
/** Set in the capped child: its parent's pid. */
const PARENT = 'CLIENTSYNC_HEAP_CAP_PARENT';

/**
 * The node arguments that run this command again with the cap; undefined unless it is `worker` without a cap already.
 */
export function cappedWorkerArgs(
  argv: readonly string[],
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): string[] | undefined {
  if (commandName(argv) !== 'worker' || env[PARENT]) return undefined;
  if ([...execArgv, env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'))) return undefined;
  return [...execArgv, `--max-old-space-size=${WORKER_HEAP_MB}`, ...argv.slice(1)];
}

/**
 * Runs the capped worker as a child that gets this process's signals once (it has a process group of its
 * own, so a terminal's Ctrl-C reaches it only through here) and whose exit code this process returns.
 */
export function runCapped(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, [PARENT]: String(process.pid) },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0))),
  );
}

/** In the capped child: a parent that is gone (SIGKILLed) takes the worker with it, as if it had been killed itself. */
export function dieWithParent(env: NodeJS.ProcessEnv): void {
  const parent = Number(env[PARENT]);
  if (!parent) return;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 250).unref();
}
