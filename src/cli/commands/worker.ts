import { getHeapStatistics } from 'node:v8';
import { UserError } from '../../errors';
import { installRuntime, shutDownOnFailure } from '../../logging';
import { startTracing, tracesEndpoint, tracingWanted } from '../../telemetry/tracing';
import { openResultsStore } from '../../store/results-store';
import { describeStore } from '../../store/store-url';
import { connectClient, connectWorker, temporalTarget } from '../../temporal-connection';
import { TokenRefusedError, tokenProviderFromEnv, type TokenProvider } from '../../token/token-provider';
import { createWorker, workflowsPath } from '../../worker';
import { bundleBuild, type DeploymentVersion } from '../../worker-deployment';
import type { NativeConnection, Runtime } from '@temporalio/worker';
import type { CliIO } from '../io';
import { joinDeployment } from './worker-deployment';
import { watchOpenBatches } from '../../telemetry/open-batches';

/** The start of the line a worker prints once it polls: scripts and tests wait for it. */
export const WORKER_READY = 'clientsync worker polling';

/** V8's heap limit of this process (the old-space cap plus the young generation). */
const heapLimitMb = () => Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);

export interface WorkerCommandOptions {
  taskQueue: string;
  maxConcurrentCalls: number;
  rps?: number;
  /** The worker deployment it joins (default clientsync). */
  deployment: string;
  /** Become the deployment's current version (one machine); false leaves that to the operator (a cluster). */
  makeCurrent: boolean;
  /** Stack traces in the log for unexpected errors. */
  debug?: boolean;
  /** `host:port` to serve Prometheus metrics on (--metrics, or CLIENTSYNC_METRICS). */
  metrics?: string;
}

/** `--metrics 0.0.0.0:9464`: a host and a port, as the metrics endpoint binds them. */
function metricsAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(.+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new UserError(`--metrics ${JSON.stringify(value)} is not host:port; use e.g. --metrics 0.0.0.0:9464`);
  return value;
}

/** A deployment name as the server takes it: it separates names from build ids with '.' and ':'. */
function deploymentName(name: string): string {
  if (!name || /[.:]/.test(name)) throw new UserError(`--deployment ${JSON.stringify(name)}: a name without '.' or ':' is needed, e.g. clientsync`);
  return name;
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
  // Settings are checked before the runtime starts: once it runs, only its shutdown lets the process end.
  const metrics = metricsAddress(opts.metrics ?? process.env.CLIENTSYNC_METRICS);
  tracingWanted();
  const tokenProvider = workerTokenProvider();
  const name = deploymentName(opts.deployment);
  let runtime: Runtime;
  try {
    runtime = installRuntime({ debug: opts.debug, write: io.err, metricsAddress: metrics });
  } catch (err) {
    if (!metrics || !/prometheus/i.test((err as Error).message)) throw err;
    throw new UserError(`--metrics ${metrics}: ${(err as Error).message}; pick another address`);
  }
  await shutDownOnFailure(runtime, () => serve(opts, io, { metrics, tokenProvider, name })); // a store that refuses it still ends the process
}

/** Connects, runs the worker until it is stopped, and closes what it opened, whatever failed. */
async function serve(
  opts: WorkerCommandOptions,
  io: CliIO,
  { metrics, tokenProvider, name }: { metrics: string | undefined; tokenProvider: TokenProvider | undefined; name: string },
): Promise<void> {
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
    const version: DeploymentVersion = { deploymentName: name, buildId };
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
    const running = w.run(); // the SDK's runtime shuts the worker down gracefully on SIGINT/SIGTERM
    running.catch(() => {}); // a failure is awaited below; until then it must not count as unhandled
    const deployment = await joinDeployment({ client, taskQueue: opts.taskQueue, version, bundle, makeCurrent: opts.makeCurrent, io });
    const stopWatching = metrics ? watchOpenBatches(client, opts.taskQueue) : () => {};
    io.out(
      `${WORKER_READY} task queue ${opts.taskQueue} at ${target.address} (namespace ${target.namespace}); ${deployment.describe()}; results store: ${describeStore()} (store ${store.identity.id.slice(0, 8)}); heap limit ${heapLimitMb()} MB; token provider: ${tokenProvider?.name ?? 'none (an expired token waits for a person)'}${metrics ? `; metrics on http://${metrics}/metrics` : ''}${tracing ? `; traces to ${tracesEndpoint()}` : ''}`,
    );
    await running.finally(() => (deployment.stop(), stopWatching()));
    io.out('clientsync worker stopped.');
  } finally {
    for (const close of closers) await close();
  }
}
