import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { CALL_DURATION_BUCKETS, METRICS } from '../telemetry/metric-names';

/** Where clientsync's own code logs: the workflow and the activities (the SDK never uses these). */
const OURS = new Set(['workflow', 'activity']);

/**
 * Whether a person should see the entry: warnings and errors from anywhere; below that only clientsync's own
 * lines, not the SDK's routine ones (worker state, the bundler's statistics), unless `debug`.
 */
export function isForPeople(entry: LogEntry, debug = false): boolean {
  return debug || entry.level === 'WARN' || entry.level === 'ERROR' || OURS.has(String(entry.meta?.sdkComponent));
}

/**
 * One line per event, for people: time, level, message, and the batch (and ClientId) it concerns. The SDK's
 * meta objects (task queue, activity ids, …) are left out; an error shows its message, and its stack only
 * with `debug`. Expected outcomes (expired token, a retried 503) are raised as benign failures, which the
 * SDK logs at debug level, and the activities say them in one info line of their own.
 */
export function formatLogEntry(entry: LogEntry, debug = false): string {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString().slice(11, 23);
  const batch = typeof meta.workflowId === 'string' ? ` [batch ${meta.workflowId}]` : '';
  const error = meta.error as { message?: string; stack?: string } | undefined;
  const why = error?.message ? `: ${error.message.split('\n')[0]}` : '';
  const message = debug ? entry.message : entry.message.split('\n')[0];
  const line = `${time} ${entry.level.padEnd(5)} ${message}${why}${batch}`;
  return debug && error?.stack ? `${line}\n${error.stack}` : line;
}

/** A warning of the worker itself, in the same one-line format as the SDK's (time, level, message). */
export function logWarning(message: string): void {
  Runtime.instance().logger.warn(message);
}

export interface RuntimeOptions {
  level?: LogLevel;
  debug?: boolean;
  write?: (line: string) => void;
  /** `host:port` where Prometheus scrapes `/metrics`: the SDK's worker metrics and clientsync's own. */
  metricsAddress?: string;
}

/**
 * Installs this process's Temporal runtime (once per process): the one-line logger, which the SDK core's own
 * log lines are forwarded into (warnings and errors, plain, one line each), and the Prometheus endpoint when asked.
 */
export function installRuntime(opts: RuntimeOptions = {}): Runtime {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  const level = opts.level ?? 'INFO';
  const logFunction = (entry: LogEntry) =>
    void (isForPeople(entry, opts.debug) && write(formatLogEntry(entry, opts.debug)));
  return Runtime.install({
    logger: new DefaultLogger(level, logFunction),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: opts.debug ? 'INFO' : 'WARN', other: 'ERROR' } },
      ...(opts.metricsAddress
        ? {
            metrics: {
              prometheus: {
                bindAddress: opts.metricsAddress,
                countersTotalSuffix: true,
                useSecondsForDurations: true,
                histogramBucketOverrides: { [METRICS.apiCallDuration]: CALL_DURATION_BUCKETS },
              },
            },
          }
        : {}),
    },
  });
}

/**
 * Runs a command that installed the runtime: on a failure, shuts the runtime down, which would otherwise keep the
 * process alive.
 */
export async function shutDownOnFailure<T>(runtime: Runtime, command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (err) {
    await runtime.shutdown();
    throw err;
  }
}
