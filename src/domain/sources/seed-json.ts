import { ByteReader } from './byte-reader';
import { openBytes } from './byte-source';
import { parseJsonAt, toClientEntry } from './client-entry';
import { SourceError, type ClientEntry, type SourceCursor, type SourceRef } from '../../contract/sources';

// The original script's client_file.json: [ {"ClientList": [ {"ClientId": …}, … ], …}, … ].
// stream-json reports no byte offsets, so this scanner walks the structure (strings and nesting only)
// and JSON.parse checks each value. Every client yields a cursor that resumes right after it.

const CH = { '[': 0x5b, ']': 0x5d, '{': 0x7b, '}': 0x7d, ',': 0x2c, ':': 0x3a, '"': 0x22 } as const;

type State =
  'top-start' | 'top-elem-first' | 'top-elem' | 'top-next' | 'outer-key-first' | 'outer-key' | 'outer-next' | 'list-first' | 'list-elem' | 'list-next';

export interface ScannedClient {
  entry: ClientEntry;
  /** Resumes right after this client. */
  after: SourceCursor;
}

/** Yields every client of a seed-format file from `cursor` on. Throws SourceError naming the place of a fault. */
export async function* scanSeedJson(source: SourceRef, cursor: SourceCursor): AsyncGenerator<ScannedClient> {
  const r = new ByteReader(await openBytes(source, cursor.offset), cursor.offset);
  let state = (cursor.state as State | undefined) ?? 'top-start';
  let group = cursor.group ?? -1;
  let position = cursor.position;
  const at = () => `byte ${r.offset}${group >= 0 ? `, object #${group + 1}` : ''}`;
  const expect = async (what: string): Promise<never> => {
    const b = await r.peek();
    throw new SourceError(
      b < 0 ? `${at()}: the file ends early (truncated JSON?); expected ${what}` : `${at()}: expected ${what}, found '${String.fromCharCode(b)}'`,
    );
  };
  try {
    for (;;) {
      const b = await r.skipWhitespace();
      switch (state) {
        case 'top-start':
          if (b < 0) throw new SourceError('the file is empty; it should be a JSON array of objects with a ClientList');
          if (b !== CH['['])
            throw new SourceError(`${at()}: the top level must be a JSON array of objects with a ClientList (the original script's client_file.json shape)`);
          await r.next();
          state = 'top-elem-first';
          break;
        case 'top-elem-first':
        case 'top-next':
          if (b === CH[']']) {
            await r.next();
            if ((await r.skipWhitespace()) >= 0) throw new SourceError(`${at()}: unexpected data after the closing ']'`);
            return;
          }
          if (state === 'top-next') {
            if (b !== CH[',']) await expect("',' or ']' between objects");
            await r.next();
          }
          state = 'top-elem';
          break;
        case 'top-elem':
          group++;
          if (b === CH['{']) {
            await r.next();
            state = 'outer-key-first';
          } else {
            if (b < 0) await expect('an object');
            parseJsonAt(await r.captureValue(), at()); // not an object: skipped, as the original script does, but must be JSON
            state = 'top-next';
          }
          break;
        case 'outer-key-first':
        case 'outer-key': {
          if (state === 'outer-key-first' && b === CH['}']) {
            await r.next();
            state = 'top-next';
            break;
          }
          if (b !== CH['"']) await expect('a quoted key');
          const key = parseJsonAt(await r.captureValue(), at());
          if ((await r.skipWhitespace()) !== CH[':']) await expect("':' after a key");
          await r.next();
          const v = await r.skipWhitespace();
          if (key === 'ClientList') {
            if (v !== CH['[']) throw new SourceError(`${at()}: ClientList must be an array of clients`);
            await r.next();
            state = 'list-first';
          } else {
            if (v < 0) await expect('a value');
            parseJsonAt(await r.captureValue(), at());
            state = 'outer-next';
          }
          break;
        }
        case 'outer-next':
          if (b === CH['}']) state = 'top-next';
          else if (b === CH[',']) state = 'outer-key';
          else await expect("',' or '}' in an object");
          await r.next();
          break;
        case 'list-first':
        case 'list-next':
          if (b === CH[']']) {
            await r.next();
            state = 'outer-next';
            break;
          }
          if (state === 'list-next') {
            if (b !== CH[',']) await expect("',' or ']' between clients");
            await r.next();
          }
          state = 'list-elem';
          break;
        case 'list-elem': {
          if (b < 0) await expect('a client');
          const where = `${at()} (client #${position + 1})`;
          const entry = toClientEntry(parseJsonAt(await r.captureValue(), where), position, where);
          position++;
          state = 'list-next';
          yield { entry, after: { offset: r.offset, position, state, group } };
          break;
        }
      }
    }
  } finally {
    r.close();
  }
}
