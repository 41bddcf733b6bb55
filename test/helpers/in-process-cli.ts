import path from 'node:path';
import { memoryIO } from '../../src/cli/io';
import { main } from '../../src/cli/main';
import type { Harness } from './harness';

/** Runs `clientsync …` in-process, as the terminal would, and captures what it prints. */
export async function cli(args: string[], stdin = '') {
  const io = memoryIO(stdin);
  const code = await main(['node', 'clientsync', ...args], io);
  return { code, out: io.lines.join('\n'), err: io.errors.join('\n'), errors: io.errors };
}

/**
 * Points in-process commands at the harness (its server, key, store and fake API) and runs a worker on its
 * task queue, as an operator's machine would have; `close()` stops the worker and puts the environment back.
 */
export async function operatorSession(h: Harness, env: NodeJS.ProcessEnv = {}): Promise<{ close(): Promise<void> }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: h.address,
    CLIENTSYNC_HOME: path.join(h.dir, '.clientsync'),
    CLIENTSYNC_SEAL_KEY: h.sealKey.toString('base64'),
    RESULTS_DATABASE_URL: h.storePath,
    API_BASE_URL: h.api.baseUrl,
    ...env,
  });
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const worker = await h.worker();
  const running = worker.run();
  return {
    async close() {
      worker.shutdown();
      await running;
      process.env = saved;
    },
  };
}
