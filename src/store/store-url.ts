import path from 'node:path';
import { defaultSqlitePath } from './results-store';

/** Where the results store is, for people and logs: never the password. */
export function describeStore(url = process.env.RESULTS_DATABASE_URL): string {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    return `PostgreSQL ${u.hostname}:${u.port || 5432}${u.pathname}${u.username ? ` as ${decodeURIComponent(u.username)}` : ''}`;
  }
  return `SQLite ${path.resolve(url ? url.replace(/^sqlite:(\/\/)?/, '') : defaultSqlitePath())}`;
}
