import { getHeapStatistics } from 'node:v8';
import { installPeopleLogger } from '../../logging';
import { openResultsStore } from '../../store/results-store';
import { describeStore } from '../../store/store-url';
import { connectWorker, temporalTarget } from '../../temporal-connection';
import { createWorker } from '../../worker';
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

/** `clientsync worker`: runs batches until SIGINT/SIGTERM, then lets in-flight calls finish. */
export async function worker(opts: WorkerCommandOptions, io: CliIO): Promise<void> {
  installPeopleLogger({ debug: opts.debug, write: io.err });
  const target = temporalTarget();
  const connection = await connectWorker(target);
  const store = await openResultsStore(undefined, { log: (line) => io.err(line) });
  try {
    const w = await createWorker({
      connection,
      namespace: target.namespace,
      taskQueue: opts.taskQueue,
      store,
      maxConcurrentCalls: opts.maxConcurrentCalls,
      rps: opts.rps,
    });
    io.out(
      `${WORKER_READY} task queue ${opts.taskQueue} at ${target.address} (namespace ${target.namespace}); results store: ${describeStore()} (store ${store.identity.id.slice(0, 8)}); heap limit ${heapLimitMb()} MB`,
    );
    await w.run(); // the SDK's runtime shuts the worker down gracefully on SIGINT/SIGTERM
    io.out('clientsync worker stopped.');
  } finally {
    await store.close();
    await connection.close();
  }
}
