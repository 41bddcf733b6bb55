import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openResultsStore, type ResultsStore } from '../../src/store/results-store';
import { createHarness, resultOf } from '../helpers/harness';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const stores: ResultsStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

describe.each([
  ['SQLite', () => openResultsStore(path.join(tmpdir(), `clientsync-store-${randomUUID()}.db`))],
  ['PostgreSQL', () => openResultsStore(PG_URL)],
])('the %s results store', (_name, open) => {
  it('claims an id once per batch: first, again for the same entry (or its outcome), duplicate for another', async () => {
    const store = await open();
    stores.push(store);
    const b = `b-${randomUUID()}`;
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('first');
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('again');
    expect(await store.claim(b, 'c1', 5, { ClientId: 'c1' })).toBe('duplicate');
    expect(await store.claim(`other-${b}`, 'c1', 5, { ClientId: 'c1' })).toBe('first');
    await store.recordSuccess(b, 'c1', '{}', 200, 1);
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('succeeded');
    await store.claim(b, 'c2', 1, { ClientId: 'c2' });
    await store.recordFailure(b, 'c2', 'HTTP404:x', 404, 1);
    expect(await store.claim(b, 'c2', 1, { ClientId: 'c2' })).toBe('failed');
    expect(await store.recordFailure(b, 'c1', 'late', null, 0, true)).toBe(false);
    expect((await store.list(b, 'succeeded')).map((r) => r.clientId)).toEqual(['c1']);
  });

  it('overwrites a record on retry, never adding a second one', async () => {
    const store = await open();
    stores.push(store);
    const b = `b-${randomUUID()}`;
    await store.claim(b, 'c1', 0, { ClientId: 'c1', ClientName: 'one' });
    await store.recordFailure(b, 'c1', 'HTTP503:x', 503, 1);
    await store.recordSuccess(b, 'c1', '{"ok":true}', 200, 2);
    expect(await store.count(b)).toEqual({ 'in-progress': 0, succeeded: 1, failed: 0 });
    expect(await store.list(b, 'succeeded')).toMatchObject([{ clientId: 'c1', data: '{"ok":true}', reason: null, attempts: 2, record: { ClientName: 'one' } }]);
    await store.recordFailure(b, 'c1', 'HTTP404:Not Found', 404, 1);
    expect(await store.list(b, 'failed')).toMatchObject([{ clientId: 'c1', data: null, reason: 'HTTP404:Not Found', lastStatus: 404 }]);
  });

  it('iterates rows in source order across pages', async () => {
    const store = await open();
    stores.push(store);
    const b = `b-${randomUUID()}`;
    for (let i = 2499; i >= 0; i--) {
      await store.claim(b, `c${i}`, i, { ClientId: `c${i}` });
      await store.recordSuccess(b, `c${i}`, '{}', 200, 1);
    }
    const seen: number[] = [];
    for await (const row of store.iterate(b, 'succeeded')) seen.push(row.position);
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });
});

describe('a batch recording into PostgreSQL', () => {
  it('records every outcome there', async () => {
    const h = await createHarness({ missingIds: ['C-000004'] });
    const store = await openResultsStore(PG_URL);
    try {
      const { path: file } = await h.clientFile(40);
      const worker = await h.worker({ store });
      const summary = await worker.runUntil(async () => resultOf(await h.startBatch(file)));
      expect(summary).toMatchObject({ succeeded: 39, failed: 1 });
      expect(await store.count(summary.batchId)).toEqual({ 'in-progress': 0, succeeded: 39, failed: 1 });
      expect((await store.list(summary.batchId, 'failed'))[0]).toMatchObject({ clientId: 'C-000004', lastStatus: 404 });
    } finally {
      await store.close();
      await h.close();
    }
  });
});
