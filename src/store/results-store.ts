import path from 'node:path';
import { stateDir } from '../domain/paths';
import type { StoreIdentity } from '../contract/store-identity';
import type {
  BatchKey,
  BatchUnderId,
  ClaimEntry,
  ClaimResult,
  ClientOutcomeRow,
  FailureGroup,
  Hold,
  Outcome,
  SentAlert,
  TimelinePoint,
} from './rows';

export {
  batchKey,
  regroupFailures,
  settledByClaim,
  type BatchKey,
  type BatchUnderId,
  type ClaimEntry,
  type ClaimResult,
  type ClientOutcomeRow,
  type FailureGroup,
  type FailureGrouping,
  type Hold,
  type SentAlert,
  type TimelinePoint,
} from './rows';

/**
 * Per-client outcomes of every batch: SQLite by default, PostgreSQL with RESULTS_DATABASE_URL. Rows belong
 * to a batch's identity (BatchKey: its id and first run id), so a reused id starts from nothing.
 */
export interface ResultsStore {
  /** Which store this is; a batch records it at start, and workers check it (see StoreIdentity). */
  readonly identity: StoreIdentity;
  /** Claims a ClientId for the entry at `position`, saying what an earlier attempt left (see ClaimResult). */
  claim(batch: BatchKey, clientId: string, position: number, record: Record<string, unknown>): Promise<ClaimResult>;
  /** Claims a chunk's entries at once (one transaction, or one statement): what `claim` says of each, in order. */
  claimAll(batch: BatchKey, entries: readonly ClaimEntry[]): Promise<ClaimResult[]>;
  /** `latencyMs`: how long the call took to its whole answer. */
  recordSuccess(
    batch: BatchKey,
    clientId: string,
    data: string,
    status: number,
    attempts: number,
    latencyMs?: number,
  ): Promise<void>;
  /**
   * Marks the client failed, keeping the first bytes of the answer it got (`body`); with `keepSuccess`, a
   * recorded success stands. True when the row now says failed.
   */
  recordFailure(
    batch: BatchKey,
    clientId: string,
    reason: string,
    status: number | null,
    attempts: number,
    keepSuccess?: boolean,
    body?: string | null,
    latencyMs?: number,
  ): Promise<boolean>;
  /** Rows of one outcome in source order, after source position `after` (default: from the start). */
  list(batch: BatchKey, outcome: Outcome, limit?: number, after?: number): Promise<ClientOutcomeRow[]>;
  /** Streams rows of one outcome in source order, a page at a time. */
  iterate(batch: BatchKey, outcome: Outcome): AsyncIterable<ClientOutcomeRow>;
  count(batch: BatchKey): Promise<Record<Outcome, number>>;
  /** The failures grouped by reason and HTTP status, largest first, with the first `samples` clients of each. */
  failureGroups(batch: BatchKey, samples: number): Promise<FailureGroup[]>;
  /** Clients settled in each 10 seconds, oldest first. */
  timeline(batch: BatchKey): Promise<TimelinePoint[]>;
  /**
   * An alert the batch's workers sent (or had nowhere to send). Alerts are kept by batch id and time: the
   * alert does not know the batch's first run, and a batch's alerts are those since it started.
   */
  recordAlert(batchId: string, alert: SentAlert): Promise<void>;
  /** The alerts of the batch under `batchId` since `since` (ISO time), newest first. */
  alerts(batchId: string, since: string, limit: number): Promise<SentAlert[]>;
  /**
   * Marks a single-use link used: true the first time, false ever after (until it expires, when it is refused
   * for its expiry alone). Every console that shares the store sees the use.
   */
  useLink(linkId: string, expiresAt: Date): Promise<boolean>;
  /**
   * Holds the batch's sending until `untilMs` (ms since epoch): a worker that met a Retry-After or an outage
   * tells the batch's other workers here. A shorter hold than the one recorded changes nothing.
   */
  setHold(batch: BatchKey, untilMs: number, reason: string): Promise<void>;
  /** The batch's latest hold, if any (it may have passed). */
  hold(batch: BatchKey): Promise<Hold | undefined>;
  /**
   * A worker of `buildId` in `deployment` has started: it stays registered until it stops gracefully, so that
   * a build whose every worker has stopped is known to be gone at once (an upgrade in place on one machine).
   */
  registerWorker(worker: { id: string; deployment: string; buildId: string; host: string }): Promise<void>;
  workerStopped(id: string): Promise<void>;
  /** The builds of `deployment` whose every registered worker has stopped gracefully. */
  stoppedBuilds(deployment: string): Promise<Set<string>>;
  /** The batches that have used `batchId`, newest first. */
  batchesUnderId(batchId: string): Promise<BatchUnderId[]>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Hears one line when the store becomes unreachable and one when it is back (PostgreSQL). */
  log?: (line: string) => void;
}

export function defaultSqlitePath(): string {
  return path.join(stateDir(), 'results.db');
}

/** Opens the store named by `url` (or RESULTS_DATABASE_URL): postgres://… or a SQLite file path. */
export async function openResultsStore(
  url = process.env.RESULTS_DATABASE_URL,
  options: StoreOptions = {},
): Promise<ResultsStore> {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { PostgresResultsStore } = await import('./postgres-store');
    return PostgresResultsStore.open(url, options);
  }
  const { SqliteResultsStore } = await import('./sqlite-store');
  return SqliteResultsStore.open(url ? url.replace(/^sqlite:(\/\/)?/, '') : defaultSqlitePath());
}
