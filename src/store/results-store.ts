import path from 'node:path';
import { stateDir } from '../paths';

/** One client's recorded outcome. A retried call overwrites its row; there is never a second one. */
export interface ClientOutcomeRow {
  batchId: string;
  clientId: string;
  position: number;
  outcome: 'in-progress' | 'succeeded' | 'failed';
  record: Record<string, unknown>;
  /** The response body (JSON text) of a success. */
  data: string | null;
  reason: string | null;
  lastStatus: number | null;
  attempts: number;
  updatedAt: string;
}

/**
 * 'first': never called; 'again': this entry was started before and has no outcome yet (a retry);
 * 'succeeded'/'failed': this entry already has its outcome (a crash fell after it was recorded);
 * 'duplicate': another entry of the source holds the same ClientId.
 */
export type ClaimResult = 'first' | 'again' | 'succeeded' | 'failed' | 'duplicate';

/** What a claim found when the row already existed. */
export function claimOf(existing: { position: unknown; outcome: unknown } | undefined, position: number): ClaimResult {
  if (!existing || Number(existing.position) !== position) return 'duplicate';
  return existing.outcome === 'succeeded' || existing.outcome === 'failed' ? existing.outcome : 'again';
}

/** The outcome a claim already settles, so the client is not called: a duplicate, or one a crashed attempt recorded. */
export function settledByClaim(claim: ClaimResult): 'succeeded' | 'failed' | 'duplicate' | undefined {
  return claim === 'duplicate' || claim === 'succeeded' || claim === 'failed' ? claim : undefined;
}

/** Per-client outcomes of every batch: SQLite by default, PostgreSQL with RESULTS_DATABASE_URL. */
export interface ResultsStore {
  /** Claims a ClientId for the entry at `position`, saying what an earlier attempt left (see ClaimResult). */
  claim(batchId: string, clientId: string, position: number, record: Record<string, unknown>): Promise<ClaimResult>;
  recordSuccess(batchId: string, clientId: string, data: string, status: number, attempts: number): Promise<void>;
  /** Marks the client failed; with `keepSuccess`, a recorded success stands. True when the row now says failed. */
  recordFailure(batchId: string, clientId: string, reason: string, status: number | null, attempts: number, keepSuccess?: boolean): Promise<boolean>;
  /** Rows of one outcome, in source order. */
  list(batchId: string, outcome: ClientOutcomeRow['outcome'], limit?: number): Promise<ClientOutcomeRow[]>;
  /** Streams rows of one outcome in source order, a page at a time. */
  iterate(batchId: string, outcome: ClientOutcomeRow['outcome']): AsyncIterable<ClientOutcomeRow>;
  count(batchId: string): Promise<Record<ClientOutcomeRow['outcome'], number>>;
  close(): Promise<void>;
}

export const SCHEMA_COLUMNS = `
  batch_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  record TEXT NOT NULL,
  data TEXT,
  reason TEXT,
  last_status INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (batch_id, client_id)`;

/** Maps a database row (snake_case) to a ClientOutcomeRow. */
export function toRow(r: Record<string, unknown>): ClientOutcomeRow {
  return {
    batchId: String(r.batch_id),
    clientId: String(r.client_id),
    position: Number(r.position),
    outcome: r.outcome as ClientOutcomeRow['outcome'],
    record: JSON.parse(String(r.record)) as Record<string, unknown>,
    data: (r.data as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
    attempts: Number(r.attempts),
    updatedAt: String(r.updated_at),
  };
}

export function defaultSqlitePath(): string {
  return path.join(stateDir(), 'results.db');
}

/** Opens the store named by `url` (or RESULTS_DATABASE_URL): postgres://… or a SQLite file path. */
export async function openResultsStore(url = process.env.RESULTS_DATABASE_URL): Promise<ResultsStore> {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { PostgresResultsStore } = await import('./postgres-store');
    return PostgresResultsStore.open(url);
  }
  const { SqliteResultsStore } = await import('./sqlite-store');
  return SqliteResultsStore.open(url ? url.replace(/^sqlite:(\/\/)?/, '') : defaultSqlitePath());
}
