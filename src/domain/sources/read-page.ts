import { stat } from 'node:fs/promises';
import { assertFileUnchanged, fileStamp, isUrl, probeUrl } from './byte-source';
import { scanCsv } from './csv';
import { scanJsonLines } from './jsonl';
import { scanSeedJson, type ScannedClient } from './seed-json';
import {
  SourceChangedError,
  SourceError,
  START_CURSOR,
  type ClientPage,
  type SourceCursor,
  type SourceFormat,
  type SourceRef,
} from '../../contract/sources';

/**
 * Picks the reader by the file's ending (a URL's path, without its query): .jsonl/.ndjson, .csv, else the original
 * script's nested JSON.
 */
export function detectFormat(path: string): SourceFormat {
  const lower = (isUrl(path) ? new URL(path).pathname : path).toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return 'seed-json';
}

/** All clients from `cursor` on, each with the cursor that resumes after it. */
export function scanSource(source: SourceRef, cursor: SourceCursor = START_CURSOR): AsyncGenerator<ScannedClient> {
  switch (source.format) {
    case 'jsonl':
      return scanJsonLines(source, cursor);
    case 'csv':
      return scanCsv(source, cursor);
    case 'seed-json':
      return scanSeedJson(source, cursor);
    case 'redrive':
      throw new SourceError(
        'a redrive source is read from the results store, by the workers (see store/redrive-source.ts)',
      );
  }
}

/** Throws a SourceError when the file is missing or unreadable (a URL: when it does not answer Range requests). */
export async function checkReadable(path: string): Promise<void> {
  if (isUrl(path)) return void (await probeUrl(path));
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new SourceError(`${path} is not a file; pass the clients file`);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceError(`${path} does not exist`, true);
    throw new SourceError(`${path} cannot be read (${code ?? (err as Error).message}); check its permissions`);
  }
}

/**
 * Reads one page of up to `pageSize` clients starting at `cursor`. The cost depends on the page, not on where
 * it is in the file: the cursor is a byte offset. `nextCursor` is absent once the source is exhausted.
 */
export async function readPage(source: SourceRef, cursor: SourceCursor, pageSize: number): Promise<ClientPage> {
  if (!isUrl(source.path)) await checkReadable(source.path);
  return readUnchanged(source, () => collectPage(source, cursor, pageSize));
}

/**
 * A read of a local file that only counts if the file is still the one recorded at start once it ends: clients
 * read from a file rewritten meanwhile are not used. A read that fails on a file written meanwhile (writing
 * truncates first) is not a malformed file, which would fail the batch: other content is a change, which pauses
 * it, and the same content is read again (the activity's retry).
 */
export async function readUnchanged<T>(source: SourceRef, read: () => Promise<T>): Promise<T> {
  const before = await fileStamp(source);
  let result: T;
  try {
    result = await read();
  } catch (err) {
    if (!(err instanceof SourceError) || err instanceof SourceChangedError || before === undefined) throw err;
    await assertFileUnchanged(source).catch((e: unknown) => {
      if (e instanceof SourceChangedError) throw e; // else the read's own error says more
    });
    if ((await fileStamp(source)) !== before) throw new Error(`${source.path} was being written while it was read`);
    throw err;
  }
  await assertFileUnchanged(source);
  return result;
}

async function collectPage(source: SourceRef, cursor: SourceCursor, pageSize: number): Promise<ClientPage> {
  const clients: ClientPage['clients'] = [];
  let nextCursor: SourceCursor | undefined;
  const scan = scanSource(source, cursor);
  try {
    for (;;) {
      const item = await scan.next();
      if (item.done) return { clients };
      if (clients.length === pageSize) return { clients, nextCursor };
      clients.push(item.value.entry);
      nextCursor = item.value.after;
    }
  } finally {
    await scan.return(undefined);
  }
}
