import pg from 'pg';
import { claimOf, SCHEMA_COLUMNS, toRow, type ClaimResult, type ClientOutcomeRow, type ResultsStore } from './results-store';

const PAGE = 1000;

/** The same store on PostgreSQL (RESULTS_DATABASE_URL=postgres://…), for workers on several machines. */
export class PostgresResultsStore implements ResultsStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresResultsStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    await pool.query(`CREATE TABLE IF NOT EXISTS client_results (${SCHEMA_COLUMNS})`);
    await pool.query('CREATE INDEX IF NOT EXISTS client_results_outcome ON client_results (batch_id, outcome, position)');
    return new PostgresResultsStore(pool);
  }

  async claim(batchId: string, clientId: string, position: number, record: Record<string, unknown>): Promise<ClaimResult> {
    const inserted = await this.pool.query(
      `INSERT INTO client_results (batch_id, client_id, position, outcome, record, updated_at)
       VALUES ($1, $2, $3, 'in-progress', $4, $5) ON CONFLICT DO NOTHING`,
      [batchId, clientId, position, JSON.stringify(record), new Date().toISOString()],
    );
    if (inserted.rowCount === 1) return 'first';
    const { rows } = await this.pool.query('SELECT position, outcome FROM client_results WHERE batch_id = $1 AND client_id = $2', [batchId, clientId]);
    return claimOf(rows[0], position);
  }

  async recordSuccess(batchId: string, clientId: string, data: string, status: number, attempts: number): Promise<void> {
    await this.pool.query(
      `UPDATE client_results SET outcome = 'succeeded', data = $1, reason = NULL, last_status = $2, attempts = $3, updated_at = $4
       WHERE batch_id = $5 AND client_id = $6`,
      [data, status, attempts, new Date().toISOString(), batchId, clientId],
    );
  }

  async recordFailure(batchId: string, clientId: string, reason: string, status: number | null, attempts: number, keepSuccess = false): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE client_results SET outcome = 'failed', data = NULL, reason = $1, last_status = $2, attempts = $3, updated_at = $4
       WHERE batch_id = $5 AND client_id = $6 AND (NOT $7 OR outcome <> 'succeeded')`,
      [reason, status, attempts, new Date().toISOString(), batchId, clientId, keepSuccess],
    );
    return res.rowCount === 1;
  }

  async list(batchId: string, outcome: ClientOutcomeRow['outcome'], limit = 1_000_000): Promise<ClientOutcomeRow[]> {
    const { rows } = await this.pool.query(
      'SELECT * FROM client_results WHERE batch_id = $1 AND outcome = $2 ORDER BY position LIMIT $3',
      [batchId, outcome, limit],
    );
    return rows.map(toRow);
  }

  async *iterate(batchId: string, outcome: ClientOutcomeRow['outcome']): AsyncIterable<ClientOutcomeRow> {
    let after = -1;
    for (;;) {
      const { rows } = await this.pool.query(
        'SELECT * FROM client_results WHERE batch_id = $1 AND outcome = $2 AND position > $3 ORDER BY position LIMIT $4',
        [batchId, outcome, after, PAGE],
      );
      for (const r of rows) yield toRow(r);
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1].position);
    }
  }

  async count(batchId: string): Promise<Record<ClientOutcomeRow['outcome'], number>> {
    const counts = { 'in-progress': 0, succeeded: 0, failed: 0 };
    const { rows } = await this.pool.query('SELECT outcome, COUNT(*) AS n FROM client_results WHERE batch_id = $1 GROUP BY outcome', [batchId]);
    for (const r of rows) counts[r.outcome as ClientOutcomeRow['outcome']] = Number(r.n);
    return counts;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
