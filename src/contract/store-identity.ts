// Which results store a batch writes to.

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
  const where =
    s.kind === 'postgres'
      ? `PostgreSQL ${s.host}:${s.port ?? 5432}/${s.database ?? ''}`
      : `SQLite ${s.path ?? ''} on ${s.host}`;
  return `${where} (store ${s.id.slice(0, 8)})`;
}
