import type { Runtime } from '@temporalio/worker';
import { UserError } from '../../../contract/errors';
import { tracingWanted } from '../../../telemetry/tracing';
import { TokenRefusedError, tokenProviderFromEnv, type TokenProvider } from '../../../token/token-provider';
import { installRuntime, shutDownOnFailure } from '../../../worker/runtime';
import { serveWorker } from '../../../worker/serve';
import type { CliIO } from '../../io';

export { WORKER_READY } from '../../../worker/serve';

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
  if (!m || Number(m[2]) > 65535)
    throw new UserError(`--metrics ${JSON.stringify(value)} is not host:port; use e.g. --metrics 0.0.0.0:9464`);
  return value;
}

/** A deployment name as the server takes it: it separates names from build ids with '.' and ':'. */
function deploymentName(name: string): string {
  if (!name || /[.:]/.test(name))
    throw new UserError(`--deployment ${JSON.stringify(name)}: a name without '.' or ':' is needed, e.g. clientsync`);
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
  // A store that refuses it still ends the process: the runtime is shut down on any failure.
  await shutDownOnFailure(runtime, () => serveWorker({ ...opts, deploymentName: name, metrics, tokenProvider }, io));
}
