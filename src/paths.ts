import path from 'node:path';

/** The git-ignored folder for local state: SQLite files, the sealing key, the dev server's DB. */
export function stateDir(): string {
  return path.resolve(process.env.CLIENTSYNC_HOME || '.clientsync');
}
