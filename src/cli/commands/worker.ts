import { getHeapStatistics } from 'node:v8';
import { UserError } from '../../errors';
import { installPeopleLogger } from '../../logging';
import { openResultsStore } from '../../store/results-store';
import { describeStore } from '../../store/store-url';
import { connectWorker, temporalTarget } from '../../temporal-connection';
import { TokenRefusedError, tokenProviderFromEnv, type TokenProvider } from '../../token/token-provider';
import { createWorker } from '../../worker';
import type { NativeConnection } from '@temporalio/worker';
import type { CliIO } from '../io';

/** The start of the line a worker prints once it polls: scripts and tests wait for it. */
export const WORKER_READY = 'clientsync worker polling';

/** V8's heap limit of this process (the old-space cap plus the young generation). */
const heapLimitMb = () => Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);

export interface WorkerCommandOptions {
  taskQueue: string;
  maxConcurrentCalls: number;
  rps?: number;
  /** Stack traces in the log for unexpected errors. */
  debug?: boolean;
}

/** The token provider of the worker's environment; its settings are checked before anything starts. */
function workerTokenProvider(): TokenProvider | undefined {
  try {
    return tokenProviderFromEnv();
  } catch (err) {
    if (err instanceof TokenRefusedError) throw new UserError(err.message);
    throw err;
  }
}

/** The worker's connection, waiting for a server that is not up yet; undefined if SIGINT/SIGTERM came first. */
async function connectUnlessStopped(target: ReturnType<typeof temporalTarget>): Promise<NativeConnection | undefined> {
  const stop = new AbortController();
  const abort = () => stop.abort(new Error('stopped'));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    return await connectWorker(target, { wait: 'forever', signal: stop.signal });
  } catch (err) {
    if (stop.signal.aborted) return undefined;
    throw err;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

/** `clientsync worker`: runs batches until SIGINT/SIGTERM, then lets in-flight calls finish. */
export async function worker(opts: WorkerCommandOptions, io: CliIO): Promise<void> {
  installPeopleLogger({ debug: opts.debug, write: io.err });
  const tokenProvider = workerTokenProvider();
  const target = temporalTarget();
  const connection = await connectUnlessStopped(target);
  if (!connection) return io.out('clientsync worker stopped before Temporal answered.');
  const store = await openResultsStore(undefined, { log: (line) => io.err(line) });
  try {
    const w = await createWorker({
      connection,
      namespace: target.namespace,
      taskQueue: opts.taskQueue,
      store,
      maxConcurrentCalls: opts.maxConcurrentCalls,
      rps: opts.rps,
      tokenProvider: tokenProvider ?? null,
    });
    io.out(
      `${WORKER_READY} task queue ${opts.taskQueue} at ${target.address} (namespace ${target.namespace}); results store: ${describeStore()} (store ${store.identity.id.slice(0, 8)}); heap limit ${heapLimitMb()} MB; token provider: ${tokenProvider?.name ?? 'none (an expired token waits for a person)'}`,
    );
    await w.run(); // the SDK's runtime shuts the worker down gracefully on SIGINT/SIGTERM
    io.out('clientsync worker stopped.');
  } finally {
    await store.close();
    await connection.close();
  }
}
