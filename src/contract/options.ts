// A batch's options and their defaults.

export interface RetryOptions {
  maximumAttempts: number;
  initialIntervalMs: number;
  maximumIntervalMs: number;
  backoffCoefficient: number;
}

export interface BatchOptions {
  /** API calls in flight at once. */
  concurrency: number;
  /** Clients read per readClientsPage activity. */
  pageSize: number;
  /** Per-call timeout, as the original script's 15 s. */
  callTimeoutMs: number;
  retry: RetryOptions;
  /** A regex over the response body that marks an expired token; default: the original script's ErrorMessage rule. */
  expiredRegex?: string;
  /** HTTP method; GET as in the original script. */
  method: HttpMethod;
  /** `Name: value` headers; a value may name entry fields as `{Field}`. */
  headers: string[];
  /** A JSONata expression over the client entry that builds the JSON body; absent: no body. */
  body?: string;
  /** Where the credential goes: bearer, basic, header:NAME or query:NAME. */
  auth: string;
  /** The statuses that count as a success for a client, e.g. `2xx,409`. */
  okStatus: string;
  /** A JSONata expression over each response, kept in the store instead of the whole body; absent: the body. */
  result?: string;
  /** The run continues as new at the next page boundary past this many history events. */
  eventBudget: number;
  /**
   * Clients per API activity. 1 (the default): one activity per client, each listed in Temporal Web.
   * More: a chunk called one after another in one activity, for throughput; resume stays exact.
   */
  clientsPerActivity: number;
  /** One client per local activity, in the worker that runs the batch: a marker per client in history. */
  localCalls: boolean;
  /** At most this many calls per second for this batch, across all workers (0: no limit). */
  rps: number;
  /**
   * On an expired token, and before a token with a known lifetime ends, the workflow asks the workers'
   * token provider for a new one (refreshToken); a person is needed only when that fails. Off: always wait.
   */
  autoRefresh: boolean;
  /** After an expiry, automatic refreshes at most one per this long (a provider whose tokens die at once cannot spin). */
  autoRefreshMinIntervalMs: number;
  /** While the batch waits for a person, the alert is sent again this often. */
  notifyEveryMs: number;
  /** How long the batch waits for a person before `onWaitTimeout` (0: no limit). */
  waitTimeoutMs: number;
  onWaitTimeout: 'keep-waiting' | 'cancel' | 'fail';
  /** The batch trips when failed clients exceed this (a count, or a percentage of those processed); null: never. */
  maxFailures: MaxFailures | null;
  /** A percentage threshold applies once this many clients are processed. */
  minSample: number;
  onMaxFailures: 'pause' | 'fail';
}

/** `--max-failures N` or `P%`, as Step Functions' ToleratedFailureCount / ToleratedFailurePercentage. */
export type MaxFailures = { count: number } | { percent: number };

/** What `clientsync set` changes while a batch runs; absent fields stay as they are. */
export interface LimitsChange {
  concurrency?: number;
  rps?: number;
  maxFailures?: MaxFailures | null;
  minSample?: number;
  onMaxFailures?: BatchOptions['onMaxFailures'];
}

/** The limits in force, as `status` shows them. */
export type Limits = Required<Omit<LimitsChange, 'maxFailures'>> & { maxFailures: MaxFailures | null };

export const DEFAULT_OPTIONS: BatchOptions = {
  concurrency: 4,
  pageSize: 200,
  callTimeoutMs: 15_000,
  retry: { maximumAttempts: 8, initialIntervalMs: 1000, maximumIntervalMs: 30_000, backoffCoefficient: 2 },
  method: 'GET',
  headers: [],
  auth: 'bearer',
  okStatus: '2xx',
  eventBudget: 5000,
  clientsPerActivity: 1,
  localCalls: false,
  rps: 0,
  autoRefresh: true,
  autoRefreshMinIntervalMs: 60_000,
  notifyEveryMs: 30 * 60_000,
  waitTimeoutMs: 0,
  onWaitTimeout: 'keep-waiting',
  maxFailures: null,
  minSample: 100,
  onMaxFailures: 'pause',
};

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** How each client's request is made: templates the workers fill per client, never rendered requests. */
export type RequestSpec = Pick<BatchOptions, 'method' | 'headers' | 'body' | 'auth' | 'okStatus' | 'result'>;

export function requestOf(opts: BatchOptions): RequestSpec {
  const { method, headers, body, auth, okStatus, result } = opts;
  return { method, headers, auth, okStatus, ...(body !== undefined ? { body } : {}), ...(result !== undefined ? { result } : {}) };
}

/** What a starter may set; the rest comes from DEFAULT_OPTIONS. */
export type BatchOptionsInput = Partial<Omit<BatchOptions, 'retry'>> & { retry?: Partial<RetryOptions> };
