import { ByteReader } from './byte-reader';
import { parseJsonAt, toClientEntry } from './client-entry';
import type { SourceCursor } from './types';
import type { ScannedClient } from './seed-json';

/** Yields the clients of a JSON Lines file (one `{"ClientId": …}` per line) from `cursor` on; blank lines are skipped. */
export async function* scanJsonLines(path: string, cursor: SourceCursor): AsyncGenerator<ScannedClient> {
  const r = ByteReader.fromFile(path, cursor.offset);
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
