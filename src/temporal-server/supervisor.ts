import type { ChildProcess } from 'node:child_process';
import { spawnTied } from './tied-spawn';

/** A process kept running: restarted with backoff when it exits on its own, until stop(). */
export interface Supervised {
  readonly name: string;
  /** The running child (replaced at each restart). */
  child(): ChildProcess | undefined;
  /** How many times it has been restarted. */
  restarts(): number;
  /** The last lines it wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** First restart delay; doubles up to maxBackoffMs, and resets after a minute of running. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

// Children run in their own process group, so a Ctrl-C at the terminal reaches only clientsync, which then
// stops them in order (a child that got the SIGINT too would look like a crash and be restarted). If
// clientsync itself exits, none is left behind; if it is killed, the kernel ends them (tied-spawn.ts).
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));

/** Starts `command` and restarts it whenever it exits unexpectedly, saying so in one line each time. */
export function supervise(opts: SuperviseOptions): Supervised {
  let current: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let delay = opts.backoffMs ?? 1000;
  let output = '';
  let timer: NodeJS.Timeout | undefined;

  const run = () => {
    const startedAt = Date.now();
    const child = spawnTied(opts.command, opts.args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    current = child;
    live.add(child);
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (stopping) return;
      if (Date.now() - startedAt > 60_000) delay = opts.backoffMs ?? 1000;
      const last = output.trim().split('\n').pop()?.slice(0, 200);
      const why = signal ? `signal ${signal}` : `code ${code}${last ? `: ${last}` : ''}`;
      opts.log(`${opts.name} exited (${why}); restarting in ${(delay / 1000).toFixed(1)} s`);
      timer = setTimeout(() => {
        restarts++;
        run();
      }, delay);
      delay = Math.min(delay * 2, opts.maxBackoffMs ?? 30_000);
    });
  };
  run();

  return {
    name: opts.name,
    child: () => current,
    restarts: () => restarts,
    output: () => output,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      const child = current;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
