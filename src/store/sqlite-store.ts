import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { StoreIdentity } from '../contract/store-identity';
import type { ResultsStore } from './results-store';
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

const SQL = storeSql((n) => `@p${n}`);

/** Named parameters @p1, @p2, … from a list, so the SQL is the same text as PostgreSQL's $1, $2, … */
const params = (...values: unknown[]) => Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));

/**
 * The embedded default store: one SQLite file in WAL mode, shared safely by the worker processes of one
 * machine. A writer that finds the file locked waits up to 5 s (busy_timeout), then the statement throws
 * SQLITE_BUSY; a full disk throws SQLITE_FULL. Either fails the activity, which Temporal retries.
 */
export class SqliteResultsStore implements ResultsStore {
  // Prepared once: claim and record run for every client, on the hot path.
  private readonly sql: { [K in keyof typeof SQL]: Database.Statement };
  /** Batches this process has registered already, so the hot path registers each once. */
  private readonly registered = new Set<string>();

  readonly identity: StoreIdentity;
  private readonly writes: GroupCommit;

  private constructor(
    private readonly db: Database.Database,
    file: string,
  ) {
    this.sql = Object.fromEntries(Object.entries(SQL).map(([k, text]) => [k, db.prepare(text)])) as typeof this.sql;
    const id = String(this.sql.storeId.pluck().get());
    this.writes = new GroupCommit(db, this.sql.success);
    this.identity = { id, kind: 'sqlite', host: hostname(), path: file === ':memory:' ? file : path.resolve(file) };
  }

  static open(file: string): SqliteResultsStore {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db);
    return new SqliteResultsStore(db, file);
  }

  async claim(
    batch: BatchKey,
    clientId: string,
    position: number,
    record: Record<string, unknown>,
  ): Promise<ClaimResult> {
    const now = new Date().toISOString();
    this.register(batch, now);
    if (
      this.sql.claim.run(params(batch.id, batch.firstRunId, clientId, position, JSON.stringify(record), now))
        .changes === 1
    )
      return 'first';
    return claimOf(
      this.sql.existing.get(params(batch.id, batch.firstRunId, clientId)) as
        { position: number; outcome: string } | undefined,
      position,
    );
  }

  async claimAll(batch: BatchKey, entries: readonly ClaimEntry[]): Promise<ClaimResult[]> {
    const now = new Date().toISOString();
    this.register(batch, now);
    return this.db.transaction(() => {
      const inserted = entries.map(
        (e) =>
          this.sql.claim.run(params(batch.id, batch.firstRunId, e.id, e.position, JSON.stringify(e.record), now))
            .changes === 1,
      );
      const existing = (id: string) =>
        this.sql.existing.get(params(batch.id, batch.firstRunId, id)) as
          { position: number; outcome: string } | undefined;
      return claimsOf(entries, (_, i) => inserted[i]!, existing);
    })();
  }

  /**
   * Group commit: the successes that arrive in one turn of the event loop are written in one transaction, so
   * a busy worker pays for one commit per turn instead of one per client. Each caller's promise settles once
   * its row is committed, so no chunk goes on before its outcome is durable.
   */
  recordSuccess(
    batch: BatchKey,
    clientId: string,
    data: string,
    status: number,
    attempts: number,
    latencyMs?: number,
  ): Promise<void> {
    return this.writes.add(params(...successArgs(batch, clientId, data, status, attempts, latencyMs)));
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
    const args = params(...failureArgs(batch, clientId, reason, status, attempts, keepSuccess, body, latencyMs));
    return this.sql.failure.run(args).changes === 1;
  }

  async list(batch: BatchKey, outcome: Outcome, limit = 1_000_000, after = -1): Promise<ClientOutcomeRow[]> {
    return (
      this.sql.page.all(params(batch.id, batch.firstRunId, outcome, after, limit)) as Record<string, unknown>[]
    ).map(toRow);
  }

  async *iterate(batch: BatchKey, outcome: Outcome): AsyncIterable<ClientOutcomeRow> {
    let after = -1;
    for (;;) {
      const rows = this.sql.page.all(params(batch.id, batch.firstRunId, outcome, after, PAGE)) as Record<
        string,
        unknown
      >[];
      for (const r of rows) yield toRow(r);
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1]!.position);
    }
  }

  async count(batch: BatchKey): Promise<Record<Outcome, number>> {
    return countsOf(this.sql.count.all(params(batch.id, batch.firstRunId)) as { outcome: string; n: number }[]);
  }

  async failureGroups(batch: BatchKey, samples: number): Promise<FailureGroup[]> {
    return failureGroupsOf(
      this.sql.failureGroups.all(params(batch.id, batch.firstRunId, samples)) as Record<string, unknown>[],
    );
  }

  async timeline(batch: BatchKey): Promise<TimelinePoint[]> {
    const rows = this.sql.timeline.all(params(batch.id, batch.firstRunId)) as { bucket: string; n: number }[];
    return rows.map((r) => ({ bucket: r.bucket, settled: r.n }));
  }

  async recordAlert(batchId: string, a: SentAlert): Promise<void> {
    this.sql.recordAlert.run(params(batchId, a.at, a.event, a.text, a.sentTo));
  }

  async alerts(batchId: string, since: string, limit: number): Promise<SentAlert[]> {
    const rows = this.sql.alerts.all(params(batchId, since, limit)) as Record<string, string | null>[];
    return rows.map((r) => ({ at: r.at!, event: r.event!, text: r.text!, sentTo: r.sent_to ?? null }));
  }

  async useLink(linkId: string, expiresAt: Date): Promise<boolean> {
    const now = new Date().toISOString();
    this.sql.forgetLinks.run(params(now));
    return this.sql.useLink.run(params(linkId, expiresAt.toISOString(), now)).changes === 1;
  }

  async setHold(batch: BatchKey, untilMs: number, reason: string): Promise<void> {
    this.sql.setHold.run(params(batch.id, batch.firstRunId, untilMs, reason));
  }

  async hold(batch: BatchKey): Promise<Hold | undefined> {
    return toHold(
      this.sql.hold.get(params(batch.id, batch.firstRunId)) as { until_ms: number; reason: string } | undefined,
    );
  }

  async registerWorker(w: { id: string; deployment: string; buildId: string; host: string }): Promise<void> {
    this.sql.forgetWorkers.run(params(new Date(Date.now() - WEEK_MS).toISOString()));
    this.sql.registerWorker.run(params(w.id, w.deployment, w.buildId, w.host, new Date().toISOString()));
  }

  async workerStopped(id: string): Promise<void> {
    this.sql.workerStopped.run(params(id, new Date().toISOString()));
  }

  async stoppedBuilds(deployment: string): Promise<Set<string>> {
    return new Set(this.sql.stoppedBuilds.pluck().all(params(deployment)) as string[]);
  }

  async batchesUnderId(batchId: string): Promise<BatchUnderId[]> {
    const rows = this.sql.batchesUnderId.all(params(batchId)) as { batch_run: string; started_at: string }[];
    return rows.map((r) => ({ firstRunId: r.batch_run, startedAt: r.started_at }));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private register(batch: BatchKey, now: string): void {
    const k = `${batch.id}\n${batch.firstRunId}`;
    if (this.registered.has(k)) return;
    this.sql.registerBatch.run(params(batch.id, batch.firstRunId, now));
    this.registered.add(k);
  }
}

/** Runs the statements queued in one turn of the event loop in one transaction (see recordSuccess). */
class GroupCommit {
  private queue: Array<{ args: Record<string, unknown>; done: () => void; failed: (err: unknown) => void }> = [];

  constructor(
    private readonly db: Database.Database,
    private readonly statement: Database.Statement,
  ) {}

  add(args: Record<string, unknown>): Promise<void> {
    if (this.queue.length === 0) setImmediate(() => this.flush());
    return new Promise((done, failed) => this.queue.push({ args, done, failed }));
  }

  private flush(): void {
    const group = this.queue;
    this.queue = [];
    try {
      this.db.transaction(() => group.forEach((w) => this.statement.run(w.args)))();
    } catch (err) {
      // SQLITE_BUSY or SQLITE_FULL: nothing of the group is written, and each caller's activity is retried.
      return group.forEach((w) => w.failed(err));
    }
    group.forEach((w) => w.done());
  }
}

/** Creates the tables, or rebuilds a store keyed by batch id alone (its first schema) with the first-run key. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const columns = db.prepare("SELECT name FROM pragma_table_info('client_results')").pluck().all() as string[];
    const legacy = columns.length > 0 && !columns.includes('batch_run');
    if (legacy) {
      db.exec(`DROP INDEX IF EXISTS client_results_outcome;
        ALTER TABLE client_results RENAME TO client_results_v1;
        ${SQL.createOutcomes};
        INSERT INTO client_results (batch_id, batch_run, client_id, position, outcome, record, data, reason, last_status, attempts, updated_at)
          SELECT batch_id, '', client_id, position, outcome, record, data, reason, last_status, attempts, updated_at FROM client_results_v1;
        DROP TABLE client_results_v1;`);
    }
    db.exec(
      `${SQL.createOutcomes}; ${SQL.createOutcomeIndex}; ${SQL.createBatches}; ${SQL.createStoreInfo}; ${SQL.createHolds}; ${SQL.createWorkers}; ${SQL.createAlerts}; ${SQL.createAlertIndex}; ${SQL.createUsedLinks};`,
    );
    if (columns.length > 0 && !legacy && !columns.includes('latency_ms')) db.exec(ADD_LATENCY);
    if (legacy) db.exec(SQL.backfillBatches);
    db.prepare(SQL.setStoreId).run(params(randomUUID()));
  }).immediate();
}
