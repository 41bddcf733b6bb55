import { SourceError, type ClientEntry } from '../../contract/sources';

/** Checks one parsed record and turns it into a ClientEntry; `where` names its place for the error. */
export function toClientEntry(record: unknown, position: number, where: string): ClientEntry {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new SourceError(`${where}: a client must be a JSON object with a ClientId`);
  }
  const raw = (record as Record<string, unknown>).ClientId;
  if (raw === undefined) throw new SourceError(`${where}: the client has no ClientId; add one or remove the entry`);
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    throw new SourceError(`${where}: ClientId must be a string or a number, not ${raw === null ? 'null' : typeof raw}`);
  }
  const id = String(raw);
  if (id.trim() === '') throw new SourceError(`${where}: ClientId is empty; give the client an id or remove the entry`);
  return { id, position, record: record as Record<string, unknown> };
}

/** JSON.parse with an error that names the place. */
export function parseJsonAt(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SourceError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}
