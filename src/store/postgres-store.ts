import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { StoreIdentity } from '../contract/store-identity';
import type { ResultsStore, StoreOptions } from './results-store';
import {
  ADD_LATENCY,
  failureArgs,
  successArgs,
  WEEK_MS,
  claimOf,
  claimsOf,
  countsOf,
  failureGroupsOf,
  PAGE,
  storeSql,
  toHold,
  toRow,
  type BatchKey,
  type BatchUnderId,
  type ClaimEntry,
  type ClaimResult,
  type ClientOutcomeRow,
  type FailureGroup,
  type Hold,
  type Outcome,
  type SentAlert,
  type TimelinePoint,
} from './rows';
import { isConnectionError, StoreHealth } from './store-health';

const SQL = storeSql((n) => `$${n}`);

/**
 * A chunk's claims in one statement: id, run, client ids[], positions[], records[], now. A repeated id inserts once.
 */
const CLAIM_ALL = `INSERT INTO client_results (batch_id, batch_run, client_id, position, outcome, record, updated_at)
  SELECT $1, $2, c, p, 'in-progress', r, $6 FROM unnest($3::text[], $4::bigint[], $5::text[]) AS t(c, p, r)
  ON CONFLICT DO NOTHING RETURNING client_id, position`;
/** id, run, client ids[] */
const EXISTING_ALL = `SELECT client_id, position, outcome FROM client_results WHERE batch_id = $1 AND batch_run = $2 AND client_id = ANY($3)`;

/**
 * The same store on PostgreSQL (RESULTS_DATABASE_URL=postgres://…), for workers on several machines. An
 * outage (restart, failover, network) makes calls throw StoreUnavailableError until it is back; the worker
 * stays up and the activities are retried.
 */
export class PostgresResultsStore implements ResultsStore {
  private readonly registered = new Set<string>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly health: StoreHealth,
    readonly identity: StoreIdentity,
  ) {}

  static async open(url: string, options: StoreOptions = {}): Promise<PostgresResultsStore> {
    // A bounded connect: during an outage a call fails in seconds and is retried, instead of hanging.
    const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
    const health = new StoreHealth(options.log, 2000); // one outage, one line each way, even if it flaps as it starts
    // An idle connection that breaks is reported here; without a listener it would kill the process.
    pool.on('error', (err) => health.down(err));
    const id = await migrate(pool);
    const u = new URL(url);
    const identity: StoreIdentity = {
      id,
      kind: 'postgres',
      host: u.hostname,
      port: Number(u.port || 5432),
      database: decodeURIComponent(u.pathname.slice(1)),
    };
    return new PostgresResultsStore(pool, health, identity);
  }

  async claim(
    batch: BatchKey,
    clientId: string,
    position: number,
    record: Record<string, unknown>,
  ): Promise<ClaimResult> {
    const now = new Date().toISOString();
    await this.register(batch, now);
    const inserted = await this.query(SQL.claim, [
      batch.id,
      batch.firstRunId,
      clientId,
      position,
      JSON.stringify(record),
      now,
    ]);
    if (inserted.rowCount === 1) return 'first';
    return claimOf((await this.query(SQL.existing, [batch.id, batch.firstRunId, clientId])).rows[0], position);
  }

  async claimAll(batch: BatchKey, entries: readonly ClaimEntry[]): Promise<ClaimResult[]> {
    const now = new Date().toISOString();
    await this.register(batch, now);
    const ids = entries.map((e) => e.id);
    const values = [
      batch.id,
      batch.firstRunId,
      ids,
      entries.map((e) => e.position),
      entries.map((e) => JSON.stringify(e.record)),
      now,
    ];
    const inserted = new Set(
      (await this.query(CLAIM_ALL, values)).rows.map(
        (r: { client_id: string; position: string }) => `${r.position}\n${r.client_id}`,
      ),
    );
    const existing =
      inserted.size === entries.length ? [] : (await this.query(EXISTING_ALL, [batch.id, batch.firstRunId, ids])).rows;
    const byId = new Map(
      existing.map((r: { client_id: string; position: unknown; outcome: unknown }) => [r.client_id, r]),
    );
    return claimsOf(
      entries,
      (e) => inserted.has(`${e.position}\n${e.id}`),
      (id) => byId.get(id),
    );
  }

  async recordSuccess(
    batch: BatchKey,
    clientId: string,
    data: string,
    status: number,
    attempts: number,
    latencyMs?: number,
  ): Promise<void> {
    await this.query(SQL.success, successArgs(batch, clientId, data, status, attempts, latencyMs));
  }

  async recordFailure(
    batch: BatchKey,
    clientId: string,
    reason: string,
    status: number | null,
    attempts: number,
    keepSuccess = false,
    body: string | null = null,
    latencyMs?: number,
  ): Promise<boolean> {
    const args = failureArgs(batch, clientId, reason, status, attempts, keepSuccess, body, latencyMs);
    const res = await this.query(SQL.failure, args);
    return res.rowCount === 1;
  }

  async list(batch: BatchKey, outcome: Outcome, limit = 1_000_000, after = -1): Promise<ClientOutcomeRow[]> {
    return (await this.query(SQL.page, [batch.id, batch.firstRunId, outcome, after, limit])).rows.map(toRow);
  }

  async *iterate(batch: BatchKey, outcome: Outcome): AsyncIterable<ClientOutcomeRow> {
    let after = -1;
    for (;;) {
      const { rows } = await this.query(SQL.page, [batch.id, batch.firstRunId, outcome, after, PAGE]);
      for (const r of rows) yield toRow(r);
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1].position);
    }
  }

  async count(batch: BatchKey): Promise<Record<Outcome, number>> {
    return countsOf((await this.query(SQL.count, [batch.id, batch.firstRunId])).rows);
  }

  async failureGroups(batch: BatchKey, samples: number): Promise<FailureGroup[]> {
    return failureGroupsOf((await this.query(SQL.failureGroups, [batch.id, batch.firstRunId, samples])).rows);
  }

  async timeline(batch: BatchKey): Promise<TimelinePoint[]> {
    const { rows } = await this.query(SQL.timeline, [batch.id, batch.firstRunId]);
    return rows.map((r) => ({ bucket: String(r.bucket), settled: Number(r.n) }));
  }

  async recordAlert(batchId: string, a: SentAlert): Promise<void> {
    await this.query(SQL.recordAlert, [batchId, a.at, a.event, a.text, a.sentTo]);
  }

  async alerts(batchId: string, since: string, limit: number): Promise<SentAlert[]> {
    const { rows } = await this.query(SQL.alerts, [batchId, since, limit]);
    return rows.map((r) => ({
      at: String(r.at),
      event: String(r.event),
      text: String(r.text),
      sentTo: r.sent_to ?? null,
    }));
  }

  async useLink(linkId: string, expiresAt: Date): Promise<boolean> {
    const now = new Date().toISOString();
    await this.query(SQL.forgetLinks, [now]);
    return (await this.query(SQL.useLink, [linkId, expiresAt.toISOString(), now])).rowCount === 1;
  }

  async setHold(batch: BatchKey, untilMs: number, reason: string): Promise<void> {
    await this.query(SQL.setHold, [batch.id, batch.firstRunId, untilMs, reason]);
  }

  async hold(batch: BatchKey): Promise<Hold | undefined> {
    return toHold((await this.query(SQL.hold, [batch.id, batch.firstRunId])).rows[0]);
  }

  async registerWorker(w: { id: string; deployment: string; buildId: string; host: string }): Promise<void> {
    await this.query(SQL.forgetWorkers, [new Date(Date.now() - WEEK_MS).toISOString()]);
    await this.query(SQL.registerWorker, [w.id, w.deployment, w.buildId, w.host, new Date().toISOString()]);
  }

  async workerStopped(id: string): Promise<void> {
    await this.query(SQL.workerStopped, [id, new Date().toISOString()]);
  }

  async stoppedBuilds(deployment: string): Promise<Set<string>> {
    return new Set(
      (await this.query(SQL.stoppedBuilds, [deployment])).rows.map((r: { build_id: string }) => r.build_id),
    );
  }

  async batchesUnderId(batchId: string): Promise<BatchUnderId[]> {
    const { rows } = await this.query(SQL.batchesUnderId, [batchId]);
    return rows.map((r) => ({ firstRunId: String(r.batch_run), startedAt: String(r.started_at) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async register(batch: BatchKey, now: string): Promise<void> {
    const k = `${batch.id}\n${batch.firstRunId}`;
    if (this.registered.has(k)) return;
    await this.query(SQL.registerBatch, [batch.id, batch.firstRunId, now]);
    this.registered.add(k);
  }

  /** Every statement goes through here, so the store's health follows what its calls meet. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async query(text: string, values: unknown[]): Promise<pg.QueryResult<any>> {
    try {
      const res = await this.pool.query(text, values);
      this.health.up();
      return res;
    } catch (err) {
      if (isConnectionError(err)) throw this.health.down(err);
      throw err;
    }
  }
}

/**
 * Creates the tables, or moves a store keyed by batch id alone (its first schema) to the first-run key; one process at
 * a time. Returns the store's id.
 */
async function migrate(pool: pg.Pool): Promise<string> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query("SELECT pg_advisory_xact_lock(hashtext('clientsync results store schema'))");
    const { rows } = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'client_results'",
    );
    const columns = rows.map((r) => String(r.column_name));
    const legacy = columns.length > 0 && !columns.includes('batch_run');
    if (legacy) {
      await db.query(`ALTER TABLE client_results ADD COLUMN batch_run TEXT NOT NULL DEFAULT ''`);
      await db.query(
        'ALTER TABLE client_results DROP CONSTRAINT client_results_pkey, ADD PRIMARY KEY (batch_id, batch_run, client_id)',
      );
      await db.query('DROP INDEX IF EXISTS client_results_outcome');
    }
    if (columns.length > 0 && !columns.includes('latency_ms')) await db.query(ADD_LATENCY);
    for (const text of [
      SQL.createOutcomes,
      SQL.createOutcomeIndex,
      SQL.createBatches,
      SQL.createStoreInfo,
      SQL.createHolds,
      SQL.createWorkers,
      SQL.createAlerts,
      SQL.createAlertIndex,
      SQL.createUsedLinks,
      ...(legacy ? [SQL.backfillBatches] : []),
    ])
      await db.query(text);
    await db.query(SQL.setStoreId, [randomUUID()]);
    const id = String((await db.query(SQL.storeId)).rows[0].value);
    await db.query('COMMIT');
    return id;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    db.release();
  }
}
