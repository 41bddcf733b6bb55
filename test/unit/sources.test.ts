import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fileVersion,
  readPage,
  START_CURSOR,
  validateSource,
  type SourceCursor,
  type SourceFormat,
  type SourceRef,
} from '../../src/domain/sources';
import { clientIds, writeSeedClientFile } from '../../src/fake-api/client-file';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'clientsync-sources-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string, format: SourceFormat): Promise<SourceRef> {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return { path: p, format };
}

/** Reads the whole source page by page, as the workflow does. */
async function readAll(
  source: SourceRef,
  pageSize: number,
): Promise<{ ids: string[]; pages: number; cursors: SourceCursor[] }> {
  const ids: string[] = [];
  const cursors: SourceCursor[] = [];
  let cursor: SourceCursor | undefined = START_CURSOR;
  let pages = 0;
  while (cursor) {
    const page = await readPage(source, cursor, pageSize);
    pages++;
    ids.push(...page.clients.map((c) => c.id));
    cursor = page.nextCursor;
    if (cursor) cursors.push(cursor);
  }
  return { ids, pages, cursors };
}

describe('the original script format, read page by page', () => {
  it('yields every client once, in order, at any page size', async () => {
    const p = path.join(dir, 'seed.json');
    await writeSeedClientFile(p, 103, { groupSize: 10 });
    for (const size of [1, 7, 10, 50, 103, 500]) {
      const { ids, pages } = await readAll({ path: p, format: 'seed-json' }, size);
      expect(ids).toEqual(clientIds(103));
      expect(pages).toBe(Math.ceil(103 / size));
    }
  });

  it('skips objects without a ClientList and keeps other keys around the list', async () => {
    const source = await file(
      'mixed.json',
      `[{"Note":"no list"}, 42, {"A":{"x":[1,"]}"]},"ClientList":[{"ClientId":1,"ClientName":"a"},{"ClientId":"b\\"2","ClientName":"{b}"}],"Z":"]"},{"ClientList":[]},{"ClientList":[{"ClientId":"c"}]}]`,
      'seed-json',
    );
    const page = await readPage(source, START_CURSOR, 10);
    expect(page.clients.map((c) => c.id)).toEqual(['1', 'b"2', 'c']);
    expect(page.clients[1]!.record).toEqual({ ClientId: 'b"2', ClientName: '{b}' });
    expect(page.clients.map((c) => c.position)).toEqual([0, 1, 2]);
    expect(page.nextCursor).toBeUndefined();
  });

  it('resumes from a byte cursor without reading what lies before it', async () => {
    const p = path.join(dir, 'resume.json');
    await writeSeedClientFile(p, 40, { groupSize: 8 });
    const first = await readPage({ path: p, format: 'seed-json' }, START_CURSOR, 25);
    // Wreck the bytes before the cursor: a reader that re-scanned from the start would now fail.
    const fh = await open(p, 'r+');
    await fh.write(Buffer.alloc(first.nextCursor!.offset - 10, 'x'), 0, undefined, 0);
    await fh.close();
    const rest = await readPage({ path: p, format: 'seed-json' }, first.nextCursor!, 100);
    expect(rest.clients.map((c) => c.id)).toEqual(clientIds(40).slice(25));
    expect(rest.clients[0]!.position).toBe(25);
  });

  it("gives each client its enclosing object's fields, before or after the ClientList, when the batch names them", async () => {
    const text = `[{"Region":"eu","ClientList":[{"ClientId":"a"},{"ClientId":"b"}],"Tier":{"n":2}},
      {"ClientList":[{"ClientId":"c"},{"ClientId":"d","ClientName":"[}"}],"Region":"us, \\"west\\""},
      {"ClientList":[{"ClientId":"e"}]}]`;
    const source = { ...(await file('groups.json', text, 'seed-json')), groupFields: true };
    const groups = new Map<string, unknown>();
    for (const size of [1, 2, 3, 10]) {
      let cursor: SourceCursor | undefined = START_CURSOR;
      while (cursor) {
        const page = await readPage(source, cursor, size);
        for (const c of page.clients) groups.set(`${size}:${c.id}`, c.record.$group);
        cursor = page.nextCursor;
      }
      expect(groups.get(`${size}:a`)).toEqual({ Region: 'eu', Tier: { n: 2 } });
      expect(groups.get(`${size}:b`)).toEqual({ Region: 'eu', Tier: { n: 2 } });
      expect(groups.get(`${size}:c`)).toEqual({ Region: 'us, "west"' });
      expect(groups.get(`${size}:d`)).toEqual({ Region: 'us, "west"' });
      expect(groups.get(`${size}:e`)).toEqual({});
    }
    const plain = await readPage({ path: source.path, format: 'seed-json' }, START_CURSOR, 10);
    expect(plain.clients[0]!.record).toEqual({ ClientId: 'a' });
  });

  it.each([
    ['not JSON at all', 'hello', /byte 0: the top level must be a JSON array/],
    ['an object at the top', '{"ClientList":[]}', /top level must be a JSON array/],
    [
      'truncated JSON',
      '[{"ClientList":[{"ClientId":"a"},{"ClientId":"b"',
      /the file ends early \(truncated JSON\?\)|not valid JSON/,
    ],
    [
      'a ClientList that is not an array',
      '[{"ClientList":{"ClientId":"a"}}]',
      /byte \d+, object #1: ClientList must be an array/,
    ],
    [
      'a client without ClientId',
      '[{"ClientList":[{"ClientId":"a"},{"Name":"x"}]}]',
      /client #2\): the client has no ClientId/,
    ],
    [
      'a ClientId that is an object',
      '[{"ClientList":[{"ClientId":{"x":1}}]}]',
      /ClientId must be a string or a number, not object/,
    ],
    ['an empty ClientId', '[{"ClientList":[{"ClientId":"  "}]}]', /ClientId is empty/],
    ['a malformed client', '[{"ClientList":[{"ClientId":"a",}]}]', /client #1\): not valid JSON/],
    ['garbage after the array', '[{"ClientList":[{"ClientId":"a"}]}] x', /unexpected data after the closing/],
    ['an empty file', '', /the file is empty/],
  ])('rejects %s with the place and the fix', async (_name, text, message) => {
    const source = await file(`bad-${Math.random()}.json`, text, 'seed-json');
    await expect(validateSource(source)).rejects.toThrow(message);
  });

  it('rejects a list with no clients, and a missing file, with the fix', async () => {
    await expect(validateSource(await file('empty.json', '[{"ClientList":[]}]', 'seed-json'))).rejects.toThrow(
      /has no clients; nothing to call/,
    );
    await expect(validateSource({ path: path.join(dir, 'nope.json'), format: 'seed-json' })).rejects.toThrow(
      /nope\.json does not exist$/,
    );
    await expect(validateSource({ path: dir, format: 'seed-json' })).rejects.toThrow(
      /is not a file; pass the clients file/,
    );
  });

  it('reports duplicates with their counts', async () => {
    const source = await file(
      'dups.json',
      '[{"ClientList":[{"ClientId":"a"},{"ClientId":"b"},{"ClientId":"a"},{"ClientId":1},{"ClientId":"1"}]}]',
      'seed-json',
    );
    const report = await validateSource(source);
    expect(report).toMatchObject({ total: 5, duplicateEntries: 2, firstClientId: 'a' });
    expect(report.duplicates).toEqual([
      { id: 'a', count: 2 },
      { id: '1', count: 2 },
    ]);
  });
});

describe('JSON Lines and CSV sources', () => {
  it('reads JSON Lines page by page, skipping blank lines, with byte cursors', async () => {
    const source = await file('c.jsonl', '{"ClientId":"a"}\n\n{"ClientId":"é/1"}\r\n{"ClientId":3}\n', 'jsonl');
    const { ids, pages } = await readAll(source, 2);
    expect(ids).toEqual(['a', 'é/1', '3']);
    expect(pages).toBe(2);
  });

  it('names the line of a bad JSON Lines entry', async () => {
    const source = await file('bad.jsonl', '{"ClientId":"a"}\n{"ClientId":\n', 'jsonl');
    await expect(validateSource(source)).rejects.toThrow(/byte 17 \(client #2\): not valid JSON/);
  });

  it('reads CSV with quoted commas and line breaks, resuming after the header', async () => {
    const source = await file('c.csv', '\ufeffClientId,ClientName\nC1,"Al, ice"\nC2,"Bo\nb"\nC3,Zoë\n', 'csv');
    const { ids, cursors } = await readAll(source, 1);
    expect(ids).toEqual(['C1', 'C2', 'C3']);
    expect(cursors[0]!.columns).toEqual(['ClientId', 'ClientName']);
    const tail = await readPage(source, cursors[1]!, 10);
    expect(tail.clients.map((c) => c.record)).toEqual([{ ClientId: 'C3', ClientName: 'Zoë' }]);
  });

  it('refuses a CSV without a ClientId column', async () => {
    const source = await file('noid.csv', 'Id,Name\n1,a\n', 'csv');
    await expect(validateSource(source)).rejects.toThrow(/header has no ClientId column \(found: Id, Name\); add one/);
  });
});

describe('a local file rewritten while it is read', () => {
  // writeFile truncates, then writes: a read in between sees an empty or half-written file. That is a file being
  // written, not a malformed one, which would fail the batch: other content pauses it (a change), the same content
  // is read again (a plain error, which the activity retries).
  const reads = {
    page: async (source: SourceRef): Promise<unknown> =>
      (await readPage(source, START_CURSOR, 20_000)).clients.map((c) => c.id),
    validation: async (source: SourceRef): Promise<unknown> => (await validateSource(source)).total,
  };
  const recorded = { page: clientIds(20_000), validation: 20_000 };
  it.each(Object.keys(reads) as (keyof typeof reads)[])(
    'a %s gives the file as recorded, or refuses it as changed or being written; never as malformed',
    async (read) => {
      const p = path.join(dir, `rewritten-${read}.json`);
      const seen = new Set<string>();
      for (let round = 0; round < 60; round++) {
        await writeSeedClientFile(p, 20_000, { groupSize: 500 });
        const original = await readFile(p, 'utf8');
        const source: SourceRef = { path: p, format: 'seed-json', version: await fileVersion(p) };
        const reading = reads[read](source).catch((err: Error) => err);
        await sleep(round % 6);
        const sameContent = round % 2 === 1;
        await writeFile(p, sameContent ? original : original.replaceAll('C-', 'CX-'));
        const outcome = await reading;
        if (outcome instanceof Error) {
          const expected = sameContent ? ['SourceChangedError', 'Error'] : ['SourceChangedError'];
          expect(expected, `${outcome.name}: ${outcome.message}`).toContain(outcome.name);
          seen.add(outcome.name);
        } else expect(outcome).toEqual(recorded[read]);
      }
      expect(seen).toContain('SourceChangedError');
    },
    60_000,
  );
});
