import { homedir } from 'node:os';
import path from 'node:path';

/** The git-ignored folder for local state: SQLite files, the sealing key, the dev server's DB. */
export function stateDir(): string {
  return path.resolve(process.env.CLIENTSYNC_HOME || '.clientsync');
}

/** The machine's cache of clientsync, shared by its clones: built binaries, compiled code. */
export function machineCacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'clientsync');
}
