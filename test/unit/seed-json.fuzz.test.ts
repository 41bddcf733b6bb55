import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPage, SourceError, START_CURSOR, type SourceCursor, type SourceRef } from '../../src/domain/sources';

// src/domain/sources/seed-json.ts is the one parser written here (stream-json reports no byte offsets).
// These properties check it against JSON.parse on random documents in the original script's shape.
// npm test's unit tier runs 1,000 documents a property; the fault tier 10,000 (FUZZ_RUNS).
const RUNS = Number(process.env.FUZZ_RUNS ?? 1_000);
/** Each document is written to a file and paged through as the workers read it: about 10 ms a document. */
const TIMEOUT_MS = Math.max(20_000, RUNS * 60);

let dir: string;
let n = 0;
beforeAll(async () => (dir = await mkdtemp(path.join(tmpdir(), 'clientsync-fuzz-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

/**
 * Characters that trouble a structural scanner: brackets, quotes, escapes, separators, astral and line-separator code
 * points.
 */
const tricky = fc.string({
  unit: fc.constantFrom(
    '[',
    ']',
    '{',
    '}',
    '"',
    '\\',
    ',',
    ':',
    ' ',
    '\n',
    'a',
    'Z',
    '7',
    'é',
    '😀',
    '\u2028',
    '\u0000',
    '/',
  ),
});
const text = fc.oneof(tricky, fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })); // binary: lone surrogates too
const id = fc.oneof(
  text.filter((s) => s.trim() !== ''),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const noise: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 3 }),
  // Nested ClientLists are noise too: only a top-level object's ClientList holds clients.
  object: fc.dictionary(fc.oneof(text, fc.constant('ClientList'), fc.constant('ClientId')), tie('value'), {
    maxKeys: 3,
  }),
})).value;
/** An object holding `key: value` among up to two noise keys, the key first or last. */
const objectWith = <T>(key: string, value: fc.Arbitrary<T>) =>
  fc
    .tuple(
      value,
      fc.dictionary(
        text.filter((k) => k !== key),
        noise,
        { maxKeys: 2 },
      ),
      fc.boolean(),
    )
    .map(([v, extra, first]) => (first ? { [key]: v, ...extra } : { ...extra, [key]: v }));
const client = objectWith('ClientId', id);
const group = objectWith('ClientList', fc.array(client, { maxLength: 6 }));
/** A document in the original script's shape, with top-level entries that hold no clients mixed in. */
const doc = fc.array(
  fc.oneof({ weight: 3, arbitrary: group }, { weight: 1, arbitrary: noise.filter((v) => !isGroup(v)) }),
  { maxLength: 6 },
);
/** JSON whitespace between tokens: each spot gets none, or a run of space, tab, LF and CR. */
const spacing = fc.array(fc.stringMatching(/^[ \t\n\r]{0,3}$/), { minLength: 64, maxLength: 64 });

function isGroup(v: unknown): boolean {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, 'ClientList')
  );
}

/** JSON text with whitespace from `ws` around every token. */
function serialize(value: unknown, ws: string[]): string {
  let i = 0;
  const s = () => ws[i++ % ws.length]!;
  const write = (v: unknown): string => {
    if (Array.isArray(v)) return `[${s()}${v.map((x) => `${s()}${write(x)}${s()}`).join(',')}${s()}]`;
    if (v !== null && typeof v === 'object') {
      return `{${s()}${Object.entries(v)
        .map(([k, x]) => `${s()}${JSON.stringify(k)}${s()}:${s()}${write(x)}${s()}`)
        .join(',')}${s()}}`;
    }
    return JSON.stringify(v);
  };
  return `${s()}${write(value)}${s()}`;
}

/** The ClientIds as the original script sees them: JSON.parse of the whole file. */
function expectedIds(textOfDoc: string): string[] {
  const parsed = JSON.parse(textOfDoc) as unknown[];
  return parsed
    .filter(isGroup)
    .flatMap((g) => (g as { ClientList: { ClientId: unknown }[] }).ClientList.map((c) => String(c.ClientId)));
}

/** Every id, paging through the file at the given page sizes (cycled). */
async function pageThrough(content: string, sizes: number[]): Promise<{ ids: string[]; error?: unknown }> {
  const file = path.join(dir, `doc-${n++ % 4}.json`);
  await writeFile(file, content);
  const source: SourceRef = { path: file, format: 'seed-json' };
  const ids: string[] = [];
  let cursor: SourceCursor | undefined = START_CURSOR;
  try {
    for (let page = 0; cursor; page++) {
      const result = await readPage(source, cursor, sizes[page % sizes.length]!);
      ids.push(...result.clients.map((c) => c.id));
      cursor = result.nextCursor;
    }
    return { ids };
  } catch (error) {
    return { ids, error };
  }
}

describe('the seed-format scanner, fuzzed against JSON.parse', () => {
  it(
    `pages through any document in the original shape to exactly JSON.parse's ids, in order (${RUNS} documents)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(
          doc,
          spacing,
          fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
          async (value, ws, sizes) => {
            const content = serialize(value, ws);
            const { ids, error } = await pageThrough(content, sizes);
            const expected = expectedIds(content);
            if (expected.length === 0) return; // no clients: validation refuses it; the reader may yield nothing
            expect(error).toBeUndefined();
            expect(ids).toEqual(expected);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    `refuses a truncated document or one with a stray byte, naming a position, and never yields a wrong id (${RUNS} documents)`,
    async () => {
      const stray = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'x', '0');
      await fc.assert(
        fc.asyncProperty(
          doc,
          spacing,
          fc.nat(),
          fc.option(stray, { nil: undefined }),
          fc.integer({ min: 1, max: 5 }),
          async (value, ws, cut, byte, pageSize) => {
            const content = serialize(value, ws);
            const end = content.lastIndexOf(']');
            const at = cut % end; // before the closing bracket: the document stays open
            const broken = byte === undefined ? content.slice(0, at) : content.slice(0, at) + byte + content.slice(at);
            let valid = true;
            try {
              JSON.parse(broken);
            } catch {
              valid = false;
            }
            fc.pre(!valid); // a byte that keeps the document valid is not a fault
            const { ids, error } = await pageThrough(broken, [pageSize]);
            expect(error).toBeInstanceOf(SourceError);
            expect((error as Error).message).toMatch(/byte \d+|the file is empty/);
            expect(ids).toEqual(expectedIds(content).slice(0, ids.length));
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
