import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveBinary, TEMPORAL_UI_SERVER, type BuildLog } from './provision';
import { renderWebConfig } from './server-config';
import { supervise, type Supervised } from './supervisor';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WebOptions {
  /** The Temporal frontend it shows. */
  grpcAddress: string;
  ip: string;
  port: number;
  /** A private folder for its config. */
  dir: string;
  log: BuildLog;
}

export interface Web {
  url: string;
  /** Resolves true once the page answers; false if it could not start (said in one line). */
  ready: Promise<boolean>;
  /** Its process, once it runs. */
  process(): Supervised | undefined;
  stop(): Promise<void>;
}

/**
 * Temporal Web beside a server. A server never waits for it: when its binary is not built yet, it is built in
 * the background (under a minute once the server is built) and starts when done.
 */
export function startWeb(opts: WebOptions): Web {
  const url = `http://${opts.ip}:${opts.port}`;
  const abort = new AbortController();
  let proc: Supervised | undefined;
  const ready = (async () => {
    const bin = await resolveBinary(TEMPORAL_UI_SERVER, opts.log, abort.signal);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(opts.dir, 'base.yaml'), '', { mode: 0o600 });
    await writeFile(path.join(opts.dir, 'web.yaml'), renderWebConfig(opts.grpcAddress, opts.ip, opts.port), {
      mode: 0o600,
    });
    if (abort.signal.aborted) return false; // stopped meanwhile: start nothing
    proc = supervise({
      name: 'Temporal Web',
      command: bin.path,
      args: ['--root', '/', '--config', opts.dir, '--env', 'web', 'start'],
      log: opts.log,
    });
    return pageAnswers(url, abort.signal);
  })().catch((err: Error) => {
    if (!abort.signal.aborted) opts.log(`Temporal Web did not start: ${err.message.split('\n')[0]}`);
    return false;
  });
  return {
    url,
    ready,
    process: () => proc,
    async stop() {
      abort.abort();
      await proc?.stop();
    },
  };
}

async function pageAnswers(url: string, signal: AbortSignal, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) return true;
    await sleep(200);
  }
  if (!signal.aborted) throw new Error(`no answer at ${url} within ${timeoutMs / 1000} s`);
  return false;
}
