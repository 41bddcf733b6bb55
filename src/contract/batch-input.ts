// What a batch is started with and what one run hands the next at continue-as-new. Both stay compatible
// across releases (docs/upgrading.md): a new field is optional, and no field changes its meaning.
import type { ClientEntry, SourceCursor, SourceRef } from './sources';
import type { BatchOptionsInput } from './options';
import type { PaceCarry } from './pace';
import type { StoreIdentity } from './store-identity';

export const DEFAULT_TASK_QUEUE = 'clientsync';

/** The worker deployment that clientsync's workers join unless told another name (docs/upgrading.md). */
export const DEFAULT_DEPLOYMENT = 'clientsync';

export const BATCH_WORKFLOW_TYPE = 'batchWorkflow';

export type BatchState = 'running' | 'waiting-for-token' | 'paused' | 'completed' | 'cancelled' | 'failed';

export const FINAL_STATES: ReadonlySet<BatchState> = new Set(['completed', 'cancelled', 'failed']);

export interface Counters {
  processed: number;
  succeeded: number;
  failed: number;
  /** Entries whose ClientId was already called earlier in the batch: skipped, not called twice. */
  duplicates: number;
}

/** How a client's call ended for good; each is one of the counters. */
export type ClientOutcome = 'succeeded' | 'failed' | 'duplicate';

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
  /** The run number: 1 for the batch's first run, one more at each continue-as-new (a JSON name kept from 1.0). */
  run: number;
  startedAt: string;
  total?: number;
  /** The first run's id: with the batch id, the key of the batch's outcomes in the results store. */
  batchRun?: string;
  /** Why the batch paused itself (its source changed); cleared by resume. */
  pausedBecause?: string;
  /**
   * --canary N: the canary's clients are those at source positions below this. Until they have all ended, no other
   * client starts; then the batch pauses, and this is cleared.
   */
  canaryUntil?: number;
  /** When the batch's token expires (ms since epoch), and when it was had: a refresh comes before the end. */
  tokenExpiresAt?: number;
  tokenObtainedAt?: number;
  /** The latest rotated refresh token, sealed; it travels with the batch so that each is used once. */
  sealedRefreshToken?: string;
  /** Automatic refreshes: how many, how many since the last successful call, when the last reactive one ran. */
  autoRefresh?: AutoRefreshCarry;
  /** A paced batch's pace: the law's state and the circuit breaker's. */
  pace?: PaceCarry;
  /** A paced batch's clients whose call met a transient answer: called again once `notBefore` passes. */
  retrying?: RetryingClient[];
}

/** A client to call again: the attempts spent on it, and not before when (ms since epoch). */
export interface RetryingClient {
  client: ClientEntry;
  attempts: number;
  notBefore: number;
}

export interface AutoRefreshCarry {
  count: number;
  inARow: number;
  lastReactiveAt?: number;
  /** A refreshToken found no token provider on the workers: a refresh without a token cannot help. */
  noProvider?: boolean;
}

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
  /** The results store the batch writes to; workers with another refuse its activities (absent: any store). */
  store?: StoreIdentity;
  /**
   * Where alerts go (`start --notify`), sealed like the token: a webhook URL is a secret. Absent: the workers'
   * CLIENTSYNC_NOTIFY_URL.
   */
  sealedNotifyUrl?: string;
  /** The batch in Temporal Web, for alerts. */
  webUrl?: string;
  /** Set only by continue-as-new. */
  carry?: BatchCarry;
}
