import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { claimOf, SCHEMA_COLUMNS, toRow, type ClaimResult, type ClientOutcomeRow, type ResultsStore } from './results-store';

const PAGE = 1000;

/** The embedded default store: one SQLite file in WAL mode, shared safely by the worker processes of one machine. */
export class SqliteResultsStore implements ResultsStore {
  // Prepared once: claim and record run for every client, on the hot path.
  private readonly sql: ReturnType<typeof prepare>;

  private constructor(private readonly db: Database.Database) {
    this.sql = prepare(db);
  }

  static open(file: string): SqliteResultsStore {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS client_results (${SCHEMA_COLUMNS});
      CREATE INDEX IF NOT EXISTS client_results_outcome ON client_results (batch_id, outcome, position);`);
    return new SqliteResultsStore(db);
  }

  async claim(batchId: string, clientId: string, position: number, record: Record<string, unknown>): Promise<ClaimResult> {
    const inserted = this.sql.claim.run(batchId, clientId, position, JSON.stringify(record), new Date().toISOString());
    if (inserted.changes === 1) return 'first';
    return claimOf(this.sql.existing.get(batchId, clientId) as { position: number; outcome: string } | undefined, position);
  }

  async recordSuccess(batchId: string, clientId: string, data: string, status: number, attempts: number): Promise<void> {
    this.sql.success.run(data, status, attempts, new Date().toISOString(), batchId, clientId);
  }

  async recordFailure(batchId: string, clientId: string, reason: string, status: number | null, attempts: number, keepSuccess = false): Promise<boolean> {
    return this.sql.failure.run(reason, status, attempts, new Date().toISOString(), batchId, clientId, keepSuccess ? 1 : 0).changes === 1;
  }

  async list(batchId: string, outcome: ClientOutcomeRow['outcome'], limit = 1_000_000): Promise<ClientOutcomeRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM client_results WHERE batch_id = ? AND outcome = ? ORDER BY position LIMIT ?')
      .all(batchId, outcome, limit) as Record<string, unknown>[];
    return rows.map(toRow);
  }

  async *iterate(batchId: string, outcome: ClientOutcomeRow['outcome']): AsyncIterable<ClientOutcomeRow> {
    let after = -1;
    const stmt = this.db.prepare('SELECT * FROM client_results WHERE batch_id = ? AND outcome = ? AND position > ? ORDER BY position LIMIT ?');
    for (;;) {
      const rows = stmt.all(batchId, outcome, after, PAGE) as Record<string, unknown>[];
      for (const r of rows) yield toRow(r);
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1]!.position);
    }
  }

  async count(batchId: string): Promise<Record<ClientOutcomeRow['outcome'], number>> {
    const counts = { 'in-progress': 0, succeeded: 0, failed: 0 };
    const rows = this.db.prepare('SELECT outcome, COUNT(*) AS n FROM client_results WHERE batch_id = ? GROUP BY outcome').all(batchId) as {
      outcome: ClientOutcomeRow['outcome'];
      n: number;
    }[];
    for (const r of rows) counts[r.outcome] = Number(r.n);
    return counts;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** The statements every client's call runs. */
function prepare(db: Database.Database) {
  return {
    claim: db.prepare(`INSERT INTO client_results (batch_id, client_id, position, outcome, record, updated_at)
      VALUES (?, ?, ?, 'in-progress', ?, ?) ON CONFLICT DO NOTHING`),
    existing: db.prepare('SELECT position, outcome FROM client_results WHERE batch_id = ? AND client_id = ?'),
    success: db.prepare(`UPDATE client_results SET outcome = 'succeeded', data = ?, reason = NULL, last_status = ?, attempts = ?, updated_at = ?
      WHERE batch_id = ? AND client_id = ?`),
    failure: db.prepare(`UPDATE client_results SET outcome = 'failed', data = NULL, reason = ?, last_status = ?, attempts = ?, updated_at = ?
      WHERE batch_id = ? AND client_id = ? AND (? = 0 OR outcome <> 'succeeded')`),
  };
}
