// A batch's options and their defaults.

export interface RetryOptions {
  maximumAttempts: number;
  initialIntervalMs: number;
  maximumIntervalMs: number;
  backoffCoefficient: number;
}

export interface BatchOptions {
  /** At most this many API calls in flight at once: a ceiling, under which the pace finds the API's own. */
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
   * Clients per API activity. 'auto' (the default): as many as take about a second, from the latency
   * measured. 1: one activity per client, each listed in Temporal Web. More: a chunk of that size, called one
   * after another in one activity; resume stays exact.
   */
  clientsPerActivity: number | 'auto';
  /** One client per local activity, in the worker that runs the batch: a marker per client in history. */
  localCalls: boolean;
  /**
   * At most this many calls per second for this batch, across all workers (0: no limit): a ceiling, like `concurrency`.
   */
  rps: number;
  /**
   * 'on': below the ceilings, the pace follows the API's answers (429s, 503s, latency, rate headers). 'off': the
   * ceilings are the limits.
   */
  adaptive: OnOff;
  /** 'on': when the API stops answering, the batch stops sending and probes it, and no client fails for the outage. */
  breaker: OnOff;
  /**
   * The batch was started with the pace (its options record `adaptive`). Batches started by a release without
   * it run as they were started: their calls retry themselves and their limits are fixed. Derived, not set.
   */
  paced: boolean;
  /**
   * On an expired token, and before a token with a known lifetime ends, the workflow asks the workers'
   * token provider for a new one (refreshToken); a person is needed only when that fails. Off: always wait.
   */
  autoRefresh: boolean;
  /**
   * After an expiry, automatic refreshes at most one per this long (a provider whose tokens die at once cannot spin).
   */
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
  /** Call the first N clients, then pause, for a person to look at their answers before the rest. */
  canary?: number;
}

/** `--max-failures N` or `P%`, as Step Functions' ToleratedFailureCount / ToleratedFailurePercentage. */
export type MaxFailures = { count: number } | { percent: number };

export type OnOff = 'on' | 'off';

/** What `clientsync set` changes while a batch runs; absent fields stay as they are. */
export interface LimitsChange {
  concurrency?: number;
  rps?: number;
  adaptive?: OnOff;
  breaker?: OnOff;
  maxFailures?: MaxFailures | null;
  minSample?: number;
  onMaxFailures?: BatchOptions['onMaxFailures'];
}

/**
 * The limits in force, as `status` shows them (`adaptive` and `breaker` absent for a batch started without the pace).
 */
export type Limits = Required<Omit<LimitsChange, 'maxFailures' | 'adaptive' | 'breaker'>> &
  Pick<LimitsChange, 'adaptive' | 'breaker'> & { maxFailures: MaxFailures | null };

export const DEFAULT_OPTIONS: BatchOptions = {
  concurrency: 32,
  pageSize: 500,
  callTimeoutMs: 15_000,
  retry: { maximumAttempts: 8, initialIntervalMs: 1000, maximumIntervalMs: 30_000, backoffCoefficient: 2 },
  method: 'GET',
  headers: [],
  auth: 'bearer',
  okStatus: '2xx',
  eventBudget: 5000,
  clientsPerActivity: 'auto',
  localCalls: false,
  rps: 0,
  adaptive: 'on',
  breaker: 'on',
  paced: true,
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
  return {
    method,
    headers,
    auth,
    okStatus,
    ...(body !== undefined ? { body } : {}),
    ...(result !== undefined ? { result } : {}),
  };
}

/** What a starter may set; the rest comes from DEFAULT_OPTIONS. */
export type BatchOptionsInput = Partial<Omit<BatchOptions, 'retry' | 'paced'>> & { retry?: Partial<RetryOptions> };

/**
 * What a batch that did not record these options got: a batch started by 1.0, which wrote only the flags
 * given. `start` records each of them, so a batch keeps the defaults of the release that started it, and a
 * 1.0 batch still runs (and replays) as it was started.
 */
export const UNRECORDED_DEFAULTS = {
  concurrency: 4,
  pageSize: 200,
  clientsPerActivity: 1,
} as const satisfies Partial<BatchOptions>;

/** The options a new batch records: those given, and the current defaults of every option whose default has changed. */
export function recordedOptions(given: BatchOptionsInput): BatchOptionsInput {
  const { concurrency, pageSize, clientsPerActivity, adaptive, breaker } = DEFAULT_OPTIONS;
  return { concurrency, pageSize, clientsPerActivity, adaptive, breaker, ...given };
}

/**
 * The history cost model, in one place. An activity costs at most 6 events: scheduled, started, completed,
 * and up to 3 of a workflow task. A run hands over at a page boundary when its history plus one more page
 * of activities and a margin for signals and upserts would pass the event budget.
 */
export const HISTORY_COST = {
  eventsPerActivity: 6,
  /** A local call is one marker; its workflow task and an occasional retry timer are shared with others. */
  eventsPerLocalCall: 2,
  pageSizingEventsPerLocalCall: 3,
  /**
   * Room for what a page brings besides its calls: at each expiry in it a signal or a refresh activity, an
   * alert, state upserts and their workflow tasks (about 20 events), and retries' timers.
   */
  handOverMargin: 100,
  /**
   * Pages are sized more cautiously (8 per activity, 100 kept for the run's own events), so a page always fits in a
   * fresh run.
   */
  pageSizingEventsPerActivity: 8,
  pageSizingReserve: 100,
} as const;

/** The clients per activity a page is sized for: 'auto' may make chunks of one. */
export const smallestChunk = (o: Pick<BatchOptions, 'clientsPerActivity'>) =>
  o.clientsPerActivity === 'auto' ? 1 : o.clientsPerActivity;

/**
 * A batch's options as its workflow runs them: the recorded ones, the defaults of what was not recorded, and pages that
 * fit a run.
 */
export function resolveOptions(partial: BatchOptionsInput | undefined): BatchOptions {
  const o: BatchOptions = {
    ...DEFAULT_OPTIONS,
    ...UNRECORDED_DEFAULTS,
    ...partial,
    retry: { ...DEFAULT_OPTIONS.retry, ...partial?.retry },
    paced: partial?.adaptive !== undefined,
  };
  // A local call is one client by nature: it cannot heartbeat a chunk's progress.
  if (o.localCalls) o.clientsPerActivity = 1;
  else if (o.clientsPerActivity !== 'auto') o.clientsPerActivity = Math.max(1, Math.floor(o.clientsPerActivity));
  const perActivity = o.localCalls
    ? HISTORY_COST.pageSizingEventsPerLocalCall
    : HISTORY_COST.pageSizingEventsPerActivity;
  const activitiesPerRun = Math.floor((o.eventBudget - HISTORY_COST.pageSizingReserve) / perActivity);
  o.pageSize = Math.max(1, Math.min(o.pageSize, activitiesPerRun * smallestChunk(o)));
  return o;
}
