import { parse, type Info } from 'csv-parse';
import { toClientEntry } from './client-entry';
import { openBytes } from './byte-source';
import { SourceError, type SourceCursor, type SourceRef } from '../../contract/sources';
import type { ScannedClient } from './seed-json';

/**
 * Yields the clients of a CSV file with a header row that has a ClientId column.
 * csv-parse reports the bytes consumed per record, which gives an exact resume offset.
 */
export async function* scanCsv(source: SourceRef, cursor: SourceCursor): AsyncGenerator<ScannedClient> {
  const input = await openBytes(source, cursor.offset);
  const parser = input.pipe(
    parse({ info: true, bom: cursor.offset === 0, skip_empty_lines: true, relax_column_count: false }),
  );
  let columns = cursor.columns;
  let position = cursor.position;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info }>) {
      const offset = cursor.offset + item.info.bytes;
      if (!columns) {
        columns = item.record.map((c) => c.trim());
        if (!columns.includes('ClientId')) {
          throw new SourceError(
            `line 1: the CSV header has no ClientId column (found: ${columns.join(', ')}); add one`,
          );
        }
        continue;
      }
      const record: Record<string, unknown> = {};
      columns.forEach((name, i) => (record[name] = item.record[i]));
      const where = `line ${item.info.lines} (client #${position + 1})`;
      const entry = toClientEntry(record, position, where);
      position++;
      yield { entry, after: { offset, position, columns } };
    }
    if (!columns) throw new SourceError('the CSV file is empty; it needs a header row with a ClientId column');
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const e = err as Error & { lines?: number };
    throw new SourceError(`line ${e.lines ?? '?'}: not valid CSV (${e.message})`);
  } finally {
    input.destroy();
  }
}
