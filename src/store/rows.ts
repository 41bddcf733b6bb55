import type { ClientOutcome } from '../contract/batch-input';

// What both store backends share: the row shape, the claim rules and the SQL, written once with a
// placeholder function for the dialect. A leaf module: it imports nothing of the store.

/**
 * A batch's identity in the store: its id and the run id of its first run. An id can be used again once
 * Temporal has forgotten it (a new server database, retention); the first run id never repeats, so a new
 * batch under an old id never sees the old one's outcomes. `run` is '' for batches recorded before outcomes
 * were keyed this way.
 */
export interface BatchKey {
  id: string;
  firstRunId: string;
}

/** The key of a batch whose first run id is `firstRunId` (absent: a batch keyed by its id alone). */
export function batchKey(id: string, firstRunId?: string | null): BatchKey {
  return { id, firstRunId: firstRunId ?? '' };
}

/** One batch that has used an id, as the store saw it. */
export interface BatchUnderId {
  firstRunId: string;
  /** When the store first recorded one of its clients. */
  startedAt: string;
}

/** A batch's hold on sending, as its workers share it. */
export interface Hold {
  untilMs: number;
  reason: string;
}

/** A hold row as either backend returns it. */
export function toHold(r: { until_ms: unknown; reason: unknown } | undefined): Hold | undefined {
  return r ? { untilMs: Number(r.until_ms), reason: String(r.reason) } : undefined;
}

/** One client's recorded outcome. A retried call overwrites its row; there is never a second one. */
export interface ClientOutcomeRow {
  batchId: string;
  clientId: string;
  position: number;
  /** A client claimed and not yet answered is in progress; a duplicate has no row of its own. */
  outcome: 'in-progress' | Exclude<ClientOutcome, 'duplicate'>;
  record: Record<string, unknown>;
  /** The response body (JSON text) of a success. */
  data: string | null;
  reason: string | null;
  lastStatus: number | null;
  attempts: number;
  updatedAt: string;
  /** How long the last call took, to its whole answer (ms); null when no answer came. */
  latencyMs: number | null;
}

export type Outcome = ClientOutcomeRow['outcome'];

/**
 * 'first': never called; 'again': this entry was started before and has no outcome yet (a retry);
 * 'succeeded'/'failed': this entry already has its outcome (a crash fell after it was recorded);
 * 'duplicate': another entry of the source holds the same ClientId.
 */
export type ClaimResult = 'first' | 'again' | 'succeeded' | 'failed' | 'duplicate';

/** One entry of the source to claim: a ClientId at its position, with its record. */
export interface ClaimEntry {
  id: string;
  position: number;
  record: Record<string, unknown>;
}

/** What a claim found when the row already existed. */
export function claimOf(existing: { position: unknown; outcome: unknown } | undefined, position: number): ClaimResult {
  if (!existing || Number(existing.position) !== position) return 'duplicate';
  return existing.outcome === 'succeeded' || existing.outcome === 'failed' ? existing.outcome : 'again';
}

/** What `claim` says of each entry, given which were inserted now and the rows that were there before. */
export function claimsOf(
  entries: readonly ClaimEntry[],
  inserted: (e: ClaimEntry, index: number) => boolean,
  existing: (id: string) => { position: unknown; outcome: unknown } | undefined,
): ClaimResult[] {
  return entries.map((e, i) => (inserted(e, i) ? 'first' : claimOf(existing(e.id), e.position)));
}

/** The outcome a claim already settles, so the client is not called: a duplicate, or one a crashed attempt recorded. */
export function settledByClaim(claim: ClaimResult): ClientOutcome | undefined {
  return claim === 'duplicate' || claim === 'succeeded' || claim === 'failed' ? claim : undefined;
}

/** Maps a database row (snake_case) to a ClientOutcomeRow. */
export function toRow(r: Record<string, unknown>): ClientOutcomeRow {
  return {
    batchId: String(r.batch_id),
    clientId: String(r.client_id),
    position: Number(r.position),
    outcome: r.outcome as Outcome,
    record: JSON.parse(String(r.record)) as Record<string, unknown>,
    data: (r.data as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status),
    attempts: Number(r.attempts),
    updatedAt: String(r.updated_at),
    latencyMs: r.latency_ms === null || r.latency_ms === undefined ? null : Number(r.latency_ms),
  };
}

/** The failures that share a reason and an HTTP status: how many, and the first few. */
export interface FailureGroup {
  reason: string | null;
  lastStatus: number | null;
  count: number;
  /** The first clients in source order, with the first bytes of the answer each got (when it had one). */
  samples: { clientId: string; body: string | null }[];
}

/** Folds `failureGroups` rows (one per sample) into groups, largest first. */
export function failureGroupsOf(rows: Record<string, unknown>[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of rows) {
    const reason = (r.reason as string | null) ?? null;
    const lastStatus = r.last_status === null || r.last_status === undefined ? null : Number(r.last_status);
    const k = `${reason}\n${lastStatus}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { reason, lastStatus, count: Number(r.n), samples: [] }));
    g.samples.push({ clientId: String(r.client_id), body: (r.data as string | null) ?? null });
  }
  return [...groups.values()];
}

/** How failures are grouped: by reason and status together, or by one of them. */
export type FailureGrouping = 'reason' | 'status' | 'both';

/** Merges (reason, status) groups into groups of `by`, largest first, keeping the first `samples` of each. */
export function regroupFailures(groups: readonly FailureGroup[], by: FailureGrouping, samples: number): FailureGroup[] {
  if (by === 'both') return [...groups];
  const merged = new Map<string, FailureGroup>();
  for (const g of groups) {
    const k = by === 'reason' ? String(g.reason) : String(g.lastStatus);
    const m = merged.get(k);
    if (!m)
      merged.set(k, { ...g, ...(by === 'reason' ? { lastStatus: null } : { reason: null }), samples: [...g.samples] });
    else {
      m.count += g.count;
      m.samples.push(...g.samples);
    }
  }
  return [...merged.values()]
    .map((g) => ({ ...g, samples: g.samples.slice(0, samples) }))
    .sort((a, b) => b.count - a.count);
}

/** Clients settled in 10 seconds (`bucket` is an ISO time cut after its tens of seconds, e.g. 2026-12-02T12:32:4). */
export interface TimelinePoint {
  bucket: string;
  settled: number;
}

/** An alert as the store keeps it. */
export interface SentAlert {
  at: string;
  event: string;
  text: string;
  /** The receiver's origin; null when no URL was configured. */
  sentTo: string | null;
}

/** The first bytes of a failed call's answer that the store keeps, for people to see why. */
export const FAILURE_BODY_CHARS = 500;

/** How long the record of a stopped worker is kept. */
export const WEEK_MS = 7 * 24 * 3600_000;

/** Rows read per page when streaming. */
export const PAGE = 1000;

const OUTCOME_COLUMNS = `
  batch_id TEXT NOT NULL,
  batch_run TEXT NOT NULL DEFAULT '',
  client_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  record TEXT NOT NULL,
  data TEXT,
  reason TEXT,
  last_status INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  latency_ms INTEGER,
  PRIMARY KEY (batch_id, batch_run, client_id)`;

const ms = (latencyMs: number | undefined) => (latencyMs === undefined ? null : Math.round(latencyMs));

/** The parameters of SQL.success, in order, for either backend. */
export function successArgs(
  batch: BatchKey,
  clientId: string,
  data: string,
  status: number,
  attempts: number,
  latencyMs?: number,
): unknown[] {
  return [batch.id, batch.firstRunId, clientId, data, status, attempts, new Date().toISOString(), ms(latencyMs)];
}

/** The parameters of SQL.failure, in order, for either backend: the answer's first bytes only. */
export function failureArgs(
  batch: BatchKey,
  clientId: string,
  reason: string,
  status: number | null,
  attempts: number,
  keepSuccess: boolean,
  body: string | null,
  latencyMs?: number,
): unknown[] {
  const now = new Date().toISOString();
  const kept = body?.slice(0, FAILURE_BODY_CHARS) ?? null;
  return [
    batch.id,
    batch.firstRunId,
    clientId,
    reason,
    status,
    attempts,
    now,
    keepSuccess ? 1 : 0,
    kept,
    ms(latencyMs),
  ];
}

/** A store made before each call's latency was kept gets its column (run in a migration, not prepared up front). */
export const ADD_LATENCY = 'ALTER TABLE client_results ADD COLUMN latency_ms INTEGER';

/** The SQL of the store, for a dialect's placeholder (`?` or `$n`). Parameters are listed in order. */
export function storeSql(ph: (n: number) => string) {
  const key = `batch_id = ${ph(1)} AND batch_run = ${ph(2)}`;
  return {
    createOutcomes: `CREATE TABLE IF NOT EXISTS client_results (${OUTCOME_COLUMNS})`,
    createOutcomeIndex:
      'CREATE INDEX IF NOT EXISTS client_results_by_outcome ON client_results (batch_id, batch_run, outcome, position)',
    createBatches: `CREATE TABLE IF NOT EXISTS batches (batch_id TEXT NOT NULL, batch_run TEXT NOT NULL, started_at TEXT NOT NULL,
      PRIMARY KEY (batch_id, batch_run))`,
    createStoreInfo: 'CREATE TABLE IF NOT EXISTS clientsync_store (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    /** A batch's hold on sending (Retry-After, an outage), shared by its workers through the store. */
    createHolds: `CREATE TABLE IF NOT EXISTS batch_holds (batch_id TEXT NOT NULL, batch_run TEXT NOT NULL, until_ms BIGINT NOT NULL,
      reason TEXT NOT NULL, PRIMARY KEY (batch_id, batch_run))`,
    /** id, run, until (ms since epoch), reason: a hold only ever lengthens */
    setHold: `INSERT INTO batch_holds (batch_id, batch_run, until_ms, reason) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)})
      ON CONFLICT (batch_id, batch_run) DO UPDATE SET until_ms = excluded.until_ms, reason = excluded.reason WHERE excluded.until_ms > batch_holds.until_ms`,
    /** id, run */
    hold: `SELECT until_ms, reason FROM batch_holds WHERE ${key}`,
    /** The worker processes of each build: registered at start, marked when they stop gracefully. */
    createWorkers: `CREATE TABLE IF NOT EXISTS workers (worker_id TEXT PRIMARY KEY, deployment TEXT NOT NULL, build_id TEXT NOT NULL,
      host TEXT NOT NULL, started_at TEXT NOT NULL, stopped_at TEXT)`,
    /** worker id, deployment, build id, host, now */
    registerWorker: `INSERT INTO workers (worker_id, deployment, build_id, host, started_at) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, ${ph(5)})
      ON CONFLICT DO NOTHING`,
    /** a time: the workers that stopped before it are forgotten (a week on, their builds' pollers are long gone) */
    forgetWorkers: `DELETE FROM workers WHERE stopped_at IS NOT NULL AND stopped_at < ${ph(1)}`,
    /** worker id, now */
    workerStopped: `UPDATE workers SET stopped_at = ${ph(2)} WHERE worker_id = ${ph(1)}`,
    /** deployment: the builds whose every worker has stopped gracefully */
    stoppedBuilds: `SELECT build_id FROM workers WHERE deployment = ${ph(1)} GROUP BY build_id HAVING COUNT(*) = COUNT(stopped_at)`,
    /** a new id: kept only by the first process to open the store */
    setStoreId: `INSERT INTO clientsync_store (key, value) VALUES ('store_id', ${ph(1)}) ON CONFLICT DO NOTHING`,
    storeId: "SELECT value FROM clientsync_store WHERE key = 'store_id'",
    /** Rows of the old table (keyed by batch id alone) become batches with run ''. */
    backfillBatches: `INSERT INTO batches (batch_id, batch_run, started_at)
      SELECT batch_id, '', MIN(updated_at) FROM client_results WHERE batch_run = '' GROUP BY batch_id ON CONFLICT DO NOTHING`,
    /** id, run, now */
    registerBatch: `INSERT INTO batches (batch_id, batch_run, started_at) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}) ON CONFLICT DO NOTHING`,
    /** id: newest first */
    batchesUnderId: `SELECT batch_run, started_at FROM batches WHERE batch_id = ${ph(1)} ORDER BY started_at DESC, batch_run`,
    /** id, run, client, position, record, now */
    claim: `INSERT INTO client_results (batch_id, batch_run, client_id, position, outcome, record, updated_at)
      VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, 'in-progress', ${ph(5)}, ${ph(6)}) ON CONFLICT DO NOTHING`,
    /** id, run, client */
    existing: `SELECT position, outcome FROM client_results WHERE ${key} AND client_id = ${ph(3)}`,
    /** id, run, client, data, status, attempts, now, latency (ms, or null) */
    success: `UPDATE client_results SET outcome = 'succeeded', data = ${ph(4)}, reason = NULL, last_status = ${ph(5)}, attempts = ${ph(6)},
      updated_at = ${ph(7)}, latency_ms = ${ph(8)} WHERE ${key} AND client_id = ${ph(3)}`,
    /** id, run, client, reason, status, attempts, now, keepSuccess (0/1), the answer's first bytes (or null), latency */
    failure: `UPDATE client_results SET outcome = 'failed', data = ${ph(9)}, reason = ${ph(4)}, last_status = ${ph(5)}, attempts = ${ph(6)},
      updated_at = ${ph(7)}, latency_ms = ${ph(10)} WHERE ${key} AND client_id = ${ph(3)} AND (${ph(8)} = 0 OR outcome <> 'succeeded')`,
    /** id, run, outcome, after position, limit */
    page: `SELECT * FROM client_results WHERE ${key} AND outcome = ${ph(3)} AND position > ${ph(4)} ORDER BY position LIMIT ${ph(5)}`,
    /** id, run */
    count: `SELECT outcome, COUNT(*) AS n FROM client_results WHERE ${key} GROUP BY outcome`,
    /** id, run, samples: each (reason, status) of the failures, its count and its first clients in source order */
    failureGroups: `SELECT reason, last_status, n, client_id, data FROM (
        SELECT reason, last_status, client_id, data, COUNT(*) OVER (PARTITION BY reason, last_status) AS n,
          ROW_NUMBER() OVER (PARTITION BY reason, last_status ORDER BY position) AS rn
        FROM client_results WHERE ${key} AND outcome = 'failed') AS f
      WHERE rn <= ${ph(3)} ORDER BY n DESC, reason, last_status, rn`,
    /** id, run: the clients settled in each 10 s (updated_at is ISO text: its first 18 characters name them) */
    timeline: `SELECT substr(updated_at, 1, 18) AS bucket, COUNT(*) AS n FROM client_results
      WHERE ${key} AND outcome <> 'in-progress' GROUP BY substr(updated_at, 1, 18) ORDER BY bucket`,
    /** The alerts a batch's workers sent, for the console. */
    createAlerts: `CREATE TABLE IF NOT EXISTS batch_alerts (batch_id TEXT NOT NULL, at TEXT NOT NULL, event TEXT NOT NULL,
      text TEXT NOT NULL, sent_to TEXT)`,
    createAlertIndex: 'CREATE INDEX IF NOT EXISTS batch_alerts_by_batch ON batch_alerts (batch_id, at)',
    /** id, at, event, text, sent to */
    recordAlert: `INSERT INTO batch_alerts (batch_id, at, event, text, sent_to) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}, ${ph(4)}, ${ph(5)})`,
    /** id, since, limit: newest first */
    alerts: `SELECT at, event, text, sent_to FROM batch_alerts WHERE batch_id = ${ph(1)} AND at >= ${ph(2)} ORDER BY at DESC LIMIT ${ph(3)}`,
    /** The console's single-use links that have been used, kept until they expire. */
    createUsedLinks: `CREATE TABLE IF NOT EXISTS used_links (link_id TEXT PRIMARY KEY, expires_at TEXT NOT NULL, used_at TEXT NOT NULL)`,
    /** link id, expires at, now: inserts nothing when the link was used before */
    useLink: `INSERT INTO used_links (link_id, expires_at, used_at) VALUES (${ph(1)}, ${ph(2)}, ${ph(3)}) ON CONFLICT DO NOTHING`,
    /** now: a used link that has expired is refused for its expiry alone */
    forgetLinks: `DELETE FROM used_links WHERE expires_at < ${ph(1)}`,
  };
}

/** Tallies `SELECT outcome, COUNT(*) AS n` rows. */
export function countsOf(rows: { outcome: unknown; n: unknown }[]): Record<Outcome, number> {
  const counts = { 'in-progress': 0, succeeded: 0, failed: 0 };
  for (const r of rows) counts[r.outcome as Outcome] = Number(r.n);
  return counts;
}
