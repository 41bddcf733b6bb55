import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './paths';

/**
 * A server that clientsync starts notes that it is coming up at its address, then where its Temporal Web is,
 * so that commands run from the same folder wait for it (and only for it) and link to the right page whatever
 * ports it was given. The note names the process that wrote it, and one whose process is gone is ignored.
 */
interface ServerRecord {
  address: string;
  /** Absent while the server is still coming up (or has no Web). */
  uiUrl?: string;
  pid: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function splitAddress(address: string): { host: string; port: string } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: address.slice(at + 1) };
}

const recordFile = (port: string) => path.join(stateDir(), 'servers', `${port}.json`);

export interface ServerNote {
  /** The server answers; its Temporal Web is at `uiUrl`, when it has one. */
  ready(uiUrl: string | undefined): void;
  /** The server has stopped. */
  forget(): void;
}

/** Notes a server coming up at `address`, from now until it stops. */
export function recordServer(address: string): ServerNote {
  const file = recordFile(splitAddress(address).port);
  const write = (record: ServerRecord) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(record));
  };
  write({ address, pid: process.pid });
  return {
    ready: (uiUrl) => write({ address, pid: process.pid, ...(uiUrl ? { uiUrl } : {}) }),
    forget: () => rmSync(file, { force: true }),
  };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The note of a live clientsync server at `address`; loopback names match each other. */
function liveRecord(address: string): ServerRecord | undefined {
  const wanted = splitAddress(address);
  let record: ServerRecord;
  try {
    record = JSON.parse(readFileSync(recordFile(wanted.port), 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
  const host = splitAddress(record.address).host;
  const sameHost = host === wanted.host || (LOOPBACK.has(host) && LOOPBACK.has(wanted.host));
  return sameHost && isAlive(record.pid) ? record : undefined;
}

/** Temporal Web of the server at `address`, if a live clientsync server noted it. */
export function recordedUiUrl(address: string): string | undefined {
  return liveRecord(address)?.uiUrl;
}

/** Whether a clientsync server is running, or still coming up (building, starting), at `address`. */
export function serverNoted(address: string): boolean {
  return liveRecord(address) !== undefined;
}
