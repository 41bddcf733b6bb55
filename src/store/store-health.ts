// Whether the results store can be reached, told to a person once per change rather than once per call.

/** The store could not be reached: a transient fault, retried by whoever called. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

// Node's socket errors, and PostgreSQL's SQLSTATEs for a lost or refused connection: class 08 (connection
// exception), 57P01–57P03 (terminated by an administrator, crash shutdown, cannot connect now) and 55000 as
// raised for a database that is not accepting connections.
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const SQLSTATES = /^(08...|57P0[123])$/;

/** True for errors that mean "the database is not there right now", as opposed to a bad statement. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (
    NET_CODES.has(code) ||
    SQLSTATES.test(code) ||
    (code === '55000' && /accepting connections/.test(message)) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      message,
    )
  );
}

/**
 * Tracks up/down and logs one line at each change. With `settleMs`, the store counts as back only once it
 * has answered for that long: a connection that outlived the start of an outage by a moment is not a
 * recovery, so one outage is one line down and one up.
 */
export class StoreHealth {
  private downSince: number | undefined;
  private upSince: number | undefined;

  constructor(
    private readonly log: (line: string) => void = () => {},
    private readonly settleMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a connection failure; returns the error callers should throw. */
  down(err: unknown): StoreUnavailableError {
    const why = ((err as Error)?.message ?? String(err)).split('\n')[0];
    this.upSince = undefined;
    if (this.downSince === undefined) {
      this.downSince = this.now();
      this.log(`results store unreachable (${why}); its calls fail and are retried until it is back`);
    }
    return new StoreUnavailableError(`results store unreachable: ${why}`);
  }

  up(): void {
    if (this.downSince === undefined) return;
    const at = this.now();
    this.upSince ??= at;
    if (at - this.upSince < this.settleMs) return;
    this.log(`results store reachable again after ${Math.round((this.upSince - this.downSince) / 1000)} s`);
    this.downSince = this.upSince = undefined;
  }
}
