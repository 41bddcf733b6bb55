// Definitions shared by the workflow, the activities, the worker and the CLI.
// Workflow code imports this file, so it must stay free of Node built-ins and I/O.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ClientEntry, SourceCursor, SourceRef } from './domain/sources/types';

export const DEFAULT_TASK_QUEUE = 'clientsync';
export const BATCH_WORKFLOW_TYPE = 'batchWorkflow';

export type BatchState = 'running' | 'waiting-for-token' | 'paused' | 'completed' | 'cancelled' | 'failed';
export const FINAL_STATES: ReadonlySet<BatchState> = new Set(['completed', 'cancelled', 'failed']);

/** Failure types the activities raise; the workflow tells them apart by type, never by message. */
export const FailureTypes = {
  TokenExpired: 'TokenExpired',
  /** The sealed token cannot be opened here (wrong or missing key) or the worker has no token: also waits for a refresh. */
  TokenUnavailable: 'TokenUnavailable',
  /** A transient answer (429, 5xx, timeout, reset), retried by the activity's retry policy. */
  Transient: 'Transient',
  BadSource: 'BadSource',
  /** The results store could not be reached: retried like a transient answer. */
  StoreUnavailable: 'StoreUnavailable',
  /** The source is not the file the batch started over: the batch pauses, naming it. */
  SourceChanged: 'SourceChanged',
  /** The worker writes to another results store than the batch's: the batch pauses, naming both. */
  StoreMismatch: 'StoreMismatch',
  /** The workers have no token provider: an expired token waits for a person, as before automatic refresh. */
  NoTokenProvider: 'NoTokenProvider',
  /** The token provider refused (a revoked secret, invalid_grant, the same expired token again): a person acts. */
  TokenRefused: 'TokenRefused',
} as const;

/**
 * Which results store a batch writes to, recorded at start. `id` is a random id the store keeps in its own
 * table, so one database is one store however a host reaches it, and two SQLite files are two stores even
 * at the same path on two hosts. The rest is for people: never a password.
 */
export interface StoreIdentity {
  id: string;
  kind: 'sqlite' | 'postgres';
  /** PostgreSQL: its host, port and database as the starter reached it. SQLite: the host that holds the file. */
  host: string;
  port?: number;
  database?: string;
  /** SQLite: the file. */
  path?: string;
}

/** A store in a few words, e.g. `PostgreSQL 10.0.0.1:5432/results (store 1a2b3c4d)`. */
export function storeLabel(s: StoreIdentity): string {
  const where = s.kind === 'postgres' ? `PostgreSQL ${s.host}:${s.port ?? 5432}/${s.database ?? ''}` : `SQLite ${s.path ?? ''} on ${s.host}`;
  return `${where} (store ${s.id.slice(0, 8)})`;
}

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
  method: string;
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

export interface Counters {
  processed: number;
  succeeded: number;
  failed: number;
  /** Entries whose ClientId was already called earlier in the batch: skipped, not called twice. */
  duplicates: number;
}

/** What one run hands the next at continue-as-new. */
export interface BatchCarry {
  /** Undefined: start of source; null: source exhausted. */
  cursor: SourceCursor | null | undefined;
  counters: Counters;
  /** Clients that met an expired token, retried first once a token arrives. */
  pending: ClientEntry[];
  sealedToken?: string;
  tokenGeneration: number;
  tokenRefreshes: number;
  waitingForToken: boolean;
  waitingSince?: string;
  paused: boolean;
  run: number;
  startedAt: string;
  total?: number;
  /** The first run's id: with the batch id, the key of the batch's outcomes in the results store. */
  batchRun?: string;
  /** Why the batch paused itself (its source changed); cleared by resume. */
  pausedBecause?: string;
  /** When the batch's token expires (ms since epoch), and when it was had: a refresh comes before the end. */
  tokenExpiresAt?: number;
  tokenObtainedAt?: number;
  /** The latest rotated refresh token, sealed; it travels with the batch so that each is used once. */
  sealedRefreshToken?: string;
  /** Automatic refreshes: how many, how many since the last successful call, when the last reactive one ran. */
  autoRefresh?: AutoRefreshCarry;
}

export interface AutoRefreshCarry {
  count: number;
  inARow: number;
  lastReactiveAt?: number;
  /** A refreshToken found no token provider on the workers: a refresh without a token cannot help. */
  noProvider?: boolean;
}

/** What a starter may set; the rest comes from DEFAULT_OPTIONS. */
export type BatchOptionsInput = Partial<Omit<BatchOptions, 'retry'>> & { retry?: Partial<RetryOptions> };

export interface BatchInput {
  /** Also the workflow id. */
  batchId: string;
  source: SourceRef;
  /** URL template: `{ClientId}` is replaced, else the id is appended. */
  apiUrl: string;
  /** The token sealed with the shared key; absent: the workers' own token source. */
  sealedToken?: string;
  /** When that token expires (ms since epoch), when it is a JWT with `exp`. */
  tokenExpiresAt?: number;
  /** Client count, when the starter validated the source. */
  total?: number;
  options?: BatchOptionsInput;
  /** The batch this one redrives (retry-failed), for the record. */
  retryOf?: string;
  /** The results store the batch writes to; workers with another refuse its activities (absent: from before the check). */
  store?: StoreIdentity;
  /** Where alerts go (`start --notify`), sealed like the token: a webhook URL is a secret. Absent: the workers' CLIENTSYNC_NOTIFY_URL. */
  sealedNotifyUrl?: string;
  /** The batch in Temporal Web, for alerts. */
  webUrl?: string;
  /** Set only by continue-as-new. */
  carry?: BatchCarry;
}

export interface BatchProgress extends Counters {
  batchId: string;
  /** The first run's id, which tells this batch from others that used the same id (null: from before that key). */
  batchRun: string | null;
  state: BatchState;
  pending: number;
  total: number | null;
  resumeFromClientId: string | null;
  run: number;
  startedAt: string;
  updatedAt: string;
  waitingSince: string | null;
  tokenRefreshes: number;
  inFlight: number;
  lastTokenError: string | null;
  /** Why the batch paused when it was not an operator's `pause` (e.g. its source changed); null otherwise. */
  pausedBecause?: string | null;
  /** Why a batch ended as failed (Temporal's failure and its innermost cause); absent otherwise. */
  failure?: string;
  /** When the batch's token expires, when known (ISO time); absent in batches from before automatic refresh. */
  tokenExpiresAt?: string | null;
  /** Of tokenRefreshes, those the workers' token provider made without a person. */
  automaticRefreshes?: number;
  /** Since when the batch waits for a person (a token nobody could refresh, a pause it made itself); null otherwise. */
  waitingForPersonSince?: string | null;
  /** The limits in force (`clientsync set` changes them); absent in batches from before `set`. */
  limits?: Limits;
}

export interface BatchSummary extends Counters {
  batchId: string;
  /** See BatchProgress.batchRun; absent in summaries from before that key. */
  batchRun?: string | null;
  state: BatchState;
  total: number;
  runs: number;
  tokenRefreshes: number;
  /** Of tokenRefreshes, those made without a person (absent in summaries from before automatic refresh). */
  automaticRefreshes?: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
}

export interface TokenRefreshedInput {
  /** The new token, sealed; absent: workers re-read their own token source. */
  sealedToken?: string;
  /** When it expires (ms since epoch), when it is a JWT with `exp`. */
  expiresAt?: number;
}

export const tokenRefreshedSignal = defineSignal<[TokenRefreshedInput?]>('tokenRefreshed');

/** What `refresh-token` is told: whether the batch was waiting and resumed, and where. */
export interface RefreshTokenReply {
  resumed: boolean;
  pending: number;
  resumeFromClientId: string | null;
  /** For people: `Resumed batch X: 8 pending, resume from C-001601`, or `the batch was not waiting; token replaced`. */
  message: string;
}

/** `clientsync set`: new limits for a running batch, validated, recorded in history; the reply says what changed. */
export const setLimitsUpdate = defineUpdate<{ message: string; limits: Limits }, [LimitsChange]>('setLimits');

/** `tokenRefreshed` with an answer: its validator refuses a token the workers could not use, so it never enters history. */
export const refreshTokenUpdate = defineUpdate<RefreshTokenReply, [TokenRefreshedInput]>('refreshToken');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const progressQuery = defineQuery<BatchProgress>('progress');
