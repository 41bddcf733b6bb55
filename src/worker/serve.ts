import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { NativeConnection } from '@temporalio/worker';
import { connectClient, connectWorker, temporalTarget } from '../connection/connection';
import { openResultsStore } from '../store/results-store';
import { describeStore } from '../store/store-url';
import { startTracing, tracesEndpoint } from '../telemetry/tracing';
import type { TokenProvider } from '../token/token-provider';
import { createWorker, workflowsPath } from './create-worker';
import { bundleBuild, type DeploymentVersion } from './deployment';
import { joinDeployment } from './join-deployment';
import { watchOpenBatches } from './open-batches';

/** The start of the line a worker prints once it polls: scripts and tests wait for it. */
export const WORKER_READY = 'clientsync worker polling';

/** V8's heap limit of this process (the old-space cap plus the young generation). */
const heapLimitMb = () => Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);

/** A worker's settings, checked: the runtime is installed before it serves. */
export interface WorkerSettings {
  taskQueue: string;
  maxConcurrentCalls: number;
  rps?: number;
  deploymentName: string;
  /** Become the deployment's current version (one machine); false leaves that to the operator (a cluster). */
  makeCurrent: boolean;
  /** `host:port` where Prometheus scrapes (the runtime serves it). */
  metrics?: string;
  tokenProvider?: TokenProvider;
}

/** Where the worker says what it does: its ready line, its stop, and the store's and deployment's news. */
export interface WorkerLog {
  out(line: string): void;
  err(line: string): void;
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

/** Connects, runs the worker until it is stopped (SIGINT/SIGTERM), and closes what it opened, whatever failed. */
export async function serveWorker(opts: WorkerSettings, io: WorkerLog): Promise<void> {
  const { metrics, tokenProvider } = opts;
  const tracing = await startTracing('clientsync-worker');
  const target = temporalTarget();
  const connection = await connectUnlessStopped(target);
  if (!connection) return io.out('clientsync worker stopped before Temporal answered.');
  const closers: Array<() => Promise<void>> = [() => connection.close()];
  try {
    const store = await openResultsStore(undefined, { log: (line) => io.err(line) });
    closers.unshift(() => store.close());
    const { client, connection: clientConnection } = await connectClient(target);
    closers.unshift(() => clientConnection.close());
    const { bundle, buildId } = await bundleBuild(workflowsPath());
    const version: DeploymentVersion = { deploymentName: opts.deploymentName, buildId };
    const w = await createWorker({
      connection,
      namespace: target.namespace,
      taskQueue: opts.taskQueue,
      store,
      maxConcurrentCalls: opts.maxConcurrentCalls,
      rps: opts.rps,
      tokenProvider: tokenProvider ?? null,
      workflowBundle: bundle,
      deployment: version,
      tracing,
    });
    // Registered until it stops: a build whose every worker stopped gracefully is gone at once, not a long poll later.
    const workerId = randomUUID();
    await store.registerWorker({ id: workerId, deployment: opts.deploymentName, buildId, host: hostname() });
    closers.unshift(() => store.workerStopped(workerId));
    const running = w.run(); // the SDK's runtime shuts the worker down gracefully on SIGINT/SIGTERM
    running.catch(() => {}); // a failure is awaited below; until then it must not count as unhandled
    const deployment = await joinDeployment({
      client,
      taskQueue: opts.taskQueue,
      version,
      bundle,
      makeCurrent: opts.makeCurrent,
      stoppedBuilds: () => store.stoppedBuilds(opts.deploymentName),
      io,
    });
    const stopWatching = metrics ? watchOpenBatches(client, opts.taskQueue) : () => {};
    const said = [
      `${WORKER_READY} task queue ${opts.taskQueue} at ${target.address} (namespace ${target.namespace})`,
      deployment.describe(),
      `results store: ${describeStore()} (store ${store.identity.id.slice(0, 8)})`,
      `heap limit ${heapLimitMb()} MB`,
      `token provider: ${tokenProvider?.name ?? 'none (an expired token waits for a person)'}`,
      ...(metrics ? [`metrics on http://${metrics}/metrics`] : []),
      ...(tracing ? [`traces to ${tracesEndpoint()}`] : []),
    ];
    io.out(said.join('; '));
    await running.finally(() => (deployment.stop(), stopWatching()));
    io.out('clientsync worker stopped.');
  } finally {
    for (const close of closers) await close();
  }
}
