import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from '../domain/paths';

/**
 * A server that clientsync started notes where its Temporal Web is, so that commands run from the same
 * folder link to the right page whatever ports it was given. The note names the process that wrote it,
 * and one whose process is gone is ignored.
 */
interface ServerRecord {
  address: string;
  uiUrl: string;
  pid: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function splitAddress(address: string): { host: string; port: string } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: address.slice(at + 1) };
}

const recordFile = (port: string) => path.join(stateDir(), 'servers', `${port}.json`);

/** Notes the server at `address`; the returned function removes the note when the server stops. */
export function recordServer(address: string, uiUrl: string | undefined): () => void {
  if (!uiUrl) return () => {};
  const file = recordFile(splitAddress(address).port);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ address, uiUrl, pid: process.pid } satisfies ServerRecord));
  return () => rmSync(file, { force: true });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Temporal Web of the server at `address`, if a live clientsync server noted it; loopback names match each other. */
export function recordedUiUrl(address: string): string | undefined {
  const wanted = splitAddress(address);
  let record: ServerRecord;
  try {
    record = JSON.parse(readFileSync(recordFile(wanted.port), 'utf8')) as ServerRecord;
  } catch {
    return undefined;
  }
  const host = splitAddress(record.address).host;
  const sameHost = host === wanted.host || (LOOPBACK.has(host) && LOOPBACK.has(wanted.host));
  return sameHost && isAlive(record.pid) ? record.uiUrl : undefined;
}
