import { ByteReader } from './byte-reader';
import { openBytes } from './byte-source';
import { parseJsonAt } from './client-entry';
import { SourceError, type SourceRef } from '../../contract/sources';

// A template may name a field of the client's enclosing object ({$group.Region}), and JSON puts that field
// before or after the ClientList. So the object's own fields are read apart, from its opening brace, with the
// ClientList skipped. A worker keeps the last few groups, so a group of a million clients is read twice, not
// once a page.

const CACHE_LIMIT = 32;
const cache = new Map<string, Promise<Record<string, unknown>>>();

/** The fields of the object that opens at `offset`, all but its ClientList. */
export function groupFieldsAt(source: SourceRef, offset: number): Promise<Record<string, unknown>> {
  const key = `${source.path}\0${offset}\0${JSON.stringify(source.version ?? null)}`;
  let fields = cache.get(key);
  if (!fields) {
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    fields = readGroupFields(source, offset);
    fields.catch(() => cache.delete(key));
    cache.set(key, fields);
  }
  return fields;
}

const OPEN = 0x7b;
const CLOSE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

async function readGroupFields(source: SourceRef, offset: number): Promise<Record<string, unknown>> {
  const r = new ByteReader(await openBytes(source, offset), offset);
  const fault = (what: string) =>
    new SourceError(`byte ${r.offset}: expected ${what} in the client's enclosing object`);
  try {
    if ((await r.skipWhitespace()) !== OPEN) throw fault("'{'");
    await r.next();
    const fields: Record<string, unknown> = {};
    if ((await r.skipWhitespace()) === CLOSE) return fields;
    for (;;) {
      const key = String(parseJsonAt(await r.captureValue(), `byte ${r.offset}`));
      if ((await r.skipWhitespace()) !== COLON) throw fault("':' after a key");
      await r.next();
      await r.skipWhitespace();
      if (key === 'ClientList') await r.skipValue();
      else fields[key] = parseJsonAt(await r.captureValue(), `byte ${r.offset}`);
      const b = await r.skipWhitespace();
      if (b === CLOSE) return fields;
      if (b !== COMMA) throw fault("',' or '}'");
      await r.next();
      await r.skipWhitespace();
    }
  } finally {
    r.close();
  }
}
