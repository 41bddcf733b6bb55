import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { startTracing } from '../telemetry/tracing';
// Types only: the worker package (its native core) loads in connectWorker, so client commands start without it.
import type { NativeConnection, NativeConnectionOptions } from '@temporalio/worker';
import { connect } from 'node:net';
import { RuntimeError } from '../contract/errors';
import { isLoopback } from '../domain/loopback';
import { serverNoted } from '../domain/server-record';

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

const nothingListens = (target: TemporalTarget) =>
  new RuntimeError(
    `nothing listens at ${target.address}, and no clientsync server is starting there; ` +
      `start one with \`clientsync server\`, or set TEMPORAL_ADDRESS to where Temporal runs`,
  );

function unreachable(target: TemporalTarget, err: unknown): RuntimeError {
  const why = (err as Error).message?.split('\n')[0] ?? String(err);
  const tried = Math.round(connectDeadlineMs() / 1000);
  return new RuntimeError(
    `cannot reach Temporal at ${target.address} after ${tried} s (${why}); ` +
      `is \`clientsync server\` running? TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS ?? '(unset)'}`,
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
 * Runs `attempt` until it succeeds, the deadline passes or `signal` aborts, waiting a little longer after each
 * failure (at most 2 s). The first attempt starts at once, so a healthy connect is as fast as before. What the
 * first failure calls may shorten the deadline (milliseconds from the start).
 */
export async function retryUntil<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  deadlineMs: number,
  onFirstFailure: () => void | Promise<number | void> = () => {},
  signal?: AbortSignal,
): Promise<T> {
  const started = Date.now();
  let deadline = started + deadlineMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
    const left = deadline - Date.now();
    try {
      return await attempt(Math.max(1000, Math.min(left, 10_000)));
    } catch (err) {
      if (wait === 250) {
        const shorter = await onFirstFailure();
        if (typeof shorter === 'number') deadline = Math.min(deadline, started + shorter);
      }
      if (Date.now() + wait >= deadline || signal?.aborted) throw err;
      await new Promise((r) => {
        const timer = setTimeout(r, wait);
        signal?.addEventListener('abort', () => (clearTimeout(timer), r(undefined)), { once: true });
      });
      if (signal?.aborted) throw signal.reason;
    }
  }
}

/** Said once when the first attempt fails, so a person knows why the command has not answered yet. */
const waitingNotice = (target: TemporalTarget, deadlineMs: number) => () =>
  void process.stderr.write(
    `clientsync: waiting for Temporal at ${target.address} (${Number.isFinite(deadlineMs) ? `up to ${Math.round(deadlineMs / 1000)} s` : 'until it answers'})…\n`,
  );

/** How long a command tries when nothing listens at the address and no clientsync server is coming up there. */
export const NOBODY_THERE_MS = 3000;

/** Nothing listens at the address, and no clientsync server is coming up there: no need to wait for one. */
async function nobodyComing(address: string): Promise<boolean> {
  return !serverNoted(address) && (await refused(address));
}

/** Whether a TCP connection to `address` is refused at once: nothing listens there. */
function refused(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(address.slice(at + 1)) });
    const done = (value: boolean) => (socket.destroy(), resolve(value));
    socket.once('connect', () => done(false));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED'));
    socket.setTimeout(1000, () => done(false));
  });
}

/**
 * Channel arguments of every grpc-js connection clientsync opens. grpc-js shares a subchannel among channels
 * with the same target and arguments, and its reconnect backoff grows (to 120 s) while any channel holds it:
 * a connection made before a server started would make every later one wait out that backoff. A local pool
 * gives each connection a subchannel of its own, and the 2 s cap has one held across an outage notice the
 * server within seconds of its return.
 */
export const CHANNEL_ARGS = { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_reconnect_backoff_ms': 2000 } as const;

/**
 * Connects (the server has answered GetSystemInfo) or closes the channel it opened: Connection.connect leaves it open.
 */
export async function openConnection(options: ConnectionOptions): Promise<Connection> {
  const connection = Connection.lazy({ ...options, channelArgs: { ...CHANNEL_ARGS, ...options.channelArgs } });
  try {
    await connection.ensureConnected();
    return connection;
  } catch (err) {
    await connection.close().catch(() => {});
    throw err;
  }
}

/** True when a Temporal frontend answers at `address` within `timeoutMs`; it leaves no connection open. */
export async function serverAnswers(address: string, timeoutMs = 1000): Promise<boolean> {
  try {
    await (await openConnection({ address, connectTimeout: timeoutMs })).close();
    return true;
  } catch {
    return false;
  }
}

/** A client for starting, signalling and querying batches. */
export async function connectClient(
  target = temporalTarget(),
): Promise<{ client: Client; connection: Connection; target: TemporalTarget }> {
  const tracing = await startTracing('clientsync-cli'); // a worker has started it already, as itself
  // When nobody is coming, a few seconds more (a server may be binding its port right now), and no notice;
  // else the notice, and the whole wait for a server that is starting. On this machine that is known before
  // the first attempt (a refused connect takes a fraction of a millisecond); elsewhere, after it.
  let nobody = isLoopback(new URL(`http://${target.address}`)) && (await nobodyComing(target.address));
  const firstFailure = async () => {
    if (nobody || (nobody = await nobodyComing(target.address))) return NOBODY_THERE_MS;
    waitingNotice(target, connectDeadlineMs())();
  };
  try {
    return await retryUntil(
      async (timeoutMs) => {
        // connect() has had the server answer GetSystemInfo before it returns: one round trip, not two.
        const connection = await openConnection({ ...target.options, connectTimeout: timeoutMs } as ConnectionOptions);
        // A query to an ended batch is refused at once (its result says how it ended), not replayed on a worker.
        const client = new Client({
          connection,
          namespace: target.namespace,
          workflow: { queryRejectCondition: 'NOT_OPEN' },
          ...(tracing && { interceptors: tracing.client }),
        });
        return { client, connection, target };
      },
      nobody ? NOBODY_THERE_MS : connectDeadlineMs(),
      firstFailure,
    );
  } catch (err) {
    throw nobody ? nothingListens(target) : unreachable(target, err);
  }
}

/**
 * The worker's connection. A worker is a service that may start before its server, so `wait: 'forever'`
 * keeps trying (every 2 s at most) until Temporal answers or `signal` aborts.
 */
export async function connectWorker(
  target = temporalTarget(),
  opts: { wait?: 'forever'; signal?: AbortSignal } = {},
): Promise<NativeConnection> {
  const { NativeConnection } = await import('@temporalio/worker');
  const deadlineMs =
    opts.wait === 'forever' && !process.env.CLIENTSYNC_CONNECT_TIMEOUT ? Infinity : connectDeadlineMs();
  try {
    return await retryUntil(
      () => NativeConnection.connect(target.options),
      deadlineMs,
      waitingNotice(target, deadlineMs),
      opts.signal,
    );
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw unreachable(target, err);
  }
}
