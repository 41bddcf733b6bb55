import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
// Types only: the worker package (its native core) loads in connectWorker, so client commands start without it.
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { RuntimeError } from './errors';

export interface TemporalTarget {
  address: string;
  namespace: string;
  options: NativeConnectionOptions;
}

/**
 * Where Temporal is, from the standard environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_PROFILE, TLS and API key settings, the config file). Defaults: localhost:7233, namespace default.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const config = loadClientConnectConfig({ configSource: undefined, overrideEnvVars: env as Record<string, string> });
  const address = config.connectionOptions.address ?? 'localhost:7233';
  return { address, namespace: config.namespace ?? 'default', options: { ...config.connectionOptions, address } };
}

function unreachable(target: TemporalTarget, err: unknown): RuntimeError {
  const why = (err as Error).message?.split('\n')[0] ?? String(err);
  const tried = Math.round(connectDeadlineMs() / 1000);
  return new RuntimeError(
    `cannot reach Temporal at ${target.address} after ${tried} s (${why}); is \`clientsync server\` running? TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS ?? '(unset)'}`,
  );
}

/**
 * How long a command keeps trying to reach Temporal before it says it cannot: a server that was just
 * started, on a busy machine, can take many seconds to answer. CLIENTSYNC_CONNECT_TIMEOUT (seconds) overrides.
 */
export function connectDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.CLIENTSYNC_CONNECT_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

/**
 * Runs `attempt` until it succeeds or the deadline passes, waiting a little longer after each failure. The
 * first attempt starts at once, so a healthy connect is as fast as before.
 */
export async function retryUntil<T>(attempt: (timeoutMs: number) => Promise<T>, deadlineMs: number, onFirstFailure: () => void = () => {}): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    const left = deadline - Date.now();
    try {
      return await attempt(Math.max(1000, Math.min(left, 10_000)));
    } catch (err) {
      if (Date.now() + wait >= deadline) throw err;
      if (wait === 250) onFirstFailure();
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/** Said once when the first attempt fails, so a person knows why the command has not answered yet. */
const waitingNotice = (target: TemporalTarget) => () =>
  void process.stderr.write(`clientsync: waiting for Temporal at ${target.address} (up to ${Math.round(connectDeadlineMs() / 1000)} s)…\n`);

/** A client for starting, signalling and querying batches. */
export async function connectClient(target = temporalTarget()): Promise<{ client: Client; connection: Connection; target: TemporalTarget }> {
  try {
    return await retryUntil(
      async (timeoutMs) => {
        // connect() has had the server answer GetSystemInfo before it returns: one round trip, not two.
        const connection = await Connection.connect({ ...target.options, connectTimeout: timeoutMs } as Parameters<typeof Connection.connect>[0]);
        // A query to an ended batch is refused at once (its result says how it ended), not replayed on a worker.
        const client = new Client({ connection, namespace: target.namespace, workflow: { queryRejectCondition: 'NOT_OPEN' } });
        return { client, connection, target };
      },
      connectDeadlineMs(),
      waitingNotice(target),
    );
  } catch (err) {
    throw unreachable(target, err);
  }
}

/** The worker's connection. */
export async function connectWorker(target = temporalTarget()): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  try {
    return await retryUntil(() => NativeConnection.connect(target.options), connectDeadlineMs(), waitingNotice(target));
  } catch (err) {
    throw unreachable(target, err);
  }
}
