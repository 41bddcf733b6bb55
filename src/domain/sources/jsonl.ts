import { ByteReader } from './byte-reader';
import { openBytes } from './byte-source';
import { parseJsonAt, toClientEntry } from './client-entry';
import type { SourceCursor, SourceRef } from '../../contract/sources';
import type { ScannedClient } from './seed-json';

/**
 * Yields the clients of a JSON Lines file (one `{"ClientId": …}` per line) from `cursor` on; blank lines are skipped.
 */
export async function* scanJsonLines(source: SourceRef, cursor: SourceCursor): AsyncGenerator<ScannedClient> {
  const r = new ByteReader(await openBytes(source, cursor.offset), cursor.offset);
  let position = cursor.position;
  try {
    for (;;) {
      const lineStart = r.offset;
      const line = await r.readLine();
      if (line === undefined) return;
      if (line.toString('utf8').trim() === '') continue;
      const where = `byte ${lineStart} (client #${position + 1})`;
      const entry = toClientEntry(parseJsonAt(line, where), position, where);
      position++;
      yield { entry, after: { offset: r.offset, position } };
    }
  } finally {
    r.close();
  }
}
