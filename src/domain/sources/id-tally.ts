import Database from 'better-sqlite3';

/** Distinct ids kept in memory before the tally moves on to disk: about 20 MB of heap. */
export const IN_MEMORY_IDS = 200_000;
const BATCH = 10_000;

/**
 * Counts how often each ClientId occurs, exactly, in bounded memory: a Map for the first IN_MEMORY_IDS
 * distinct ids (most files never leave it), then a private temporary SQLite database, whose pages stay in a
 * small cache and spill to a file SQLite deletes on close. What it retains stops growing at IN_MEMORY_IDS.
 */
export class IdTally {
  private readonly counts = new Map<string, number>();
  private db: Database.Database | undefined;
  private insert: Database.Statement<[string]> | undefined;
  private bump: Database.Statement<[string]> | undefined;
  private batch: string[] = [];
  private repeats = 0;

  constructor(private readonly inMemoryIds = IN_MEMORY_IDS) {}

  add(id: string): void {
    const seen = this.counts.get(id);
    if (seen !== undefined) {
      this.counts.set(id, seen + 1);
      this.repeats++;
    } else if (this.counts.size < this.inMemoryIds) {
      this.counts.set(id, 1);
    } else {
      this.batch.push(id);
      if (this.batch.length >= BATCH) this.flush();
    }
  }

  /** Entries beyond the first for their id. */
  get duplicateEntries(): number {
    this.flush();
    return this.repeats;
  }

  /** Ids seen more than once, with their counts, up to `limit`. */
  duplicates(limit: number): Array<{ id: string; count: number }> {
    const out: Array<{ id: string; count: number }> = [];
    if (this.duplicateEntries === 0) return out;
    for (const [id, count] of this.counts) {
      if (out.length === limit) return out;
      if (count > 1) out.push({ id, count });
    }
    const rows =
      this.db
        ?.prepare<[number], { id: string; n: number }>('SELECT id, n FROM ids WHERE n > 1 LIMIT ?')
        .all(limit - out.length) ?? [];
    return [...out, ...rows.map((r) => ({ id: r.id, count: r.n }))];
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    if (!this.db) {
      // '' opens an anonymous temporary database: nothing to name, nothing to clean up after a crash.
      this.db = new Database('');
      this.db.pragma('journal_mode = OFF');
      this.db.pragma('synchronous = OFF');
      this.db.pragma('cache_size = -16000');
      this.db.exec('CREATE TABLE ids (id TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID');
      this.insert = this.db.prepare('INSERT OR IGNORE INTO ids (id, n) VALUES (?, 1)');
      this.bump = this.db.prepare('UPDATE ids SET n = n + 1 WHERE id = ?');
    }
    const [insert, bump] = [this.insert!, this.bump!];
    const ids = this.batch;
    this.batch = [];
    // Most ids are new: one insert each; only a repeat pays for the update.
    this.db.transaction(() => {
      for (const id of ids) {
        if (insert.run(id).changes === 0) {
          bump.run(id);
          this.repeats++;
        }
      }
    })();
  }
}
