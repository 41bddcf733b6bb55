import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { batchKey, openResultsStore, type ResultsStore } from '../../src/store/results-store';
import { inspectRedrive, readRedrivePage } from '../../src/store/redrive-source';
import { createHarness, keyOf, resultOf } from '../helpers/harness';
import { setTimeout as sleep } from 'node:timers/promises';

const PG_URL = inject('databaseUrl');
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
    const b = batchKey(`b-${randomUUID()}`, randomUUID());
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('first');
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('again');
    expect(await store.claim(b, 'c1', 5, { ClientId: 'c1' })).toBe('duplicate');
    expect(await store.claim(batchKey(`other-${b.id}`, b.firstRunId), 'c1', 5, { ClientId: 'c1' })).toBe('first');
    await store.recordSuccess(b, 'c1', '{}', 200, 1);
    expect(await store.claim(b, 'c1', 0, { ClientId: 'c1' })).toBe('succeeded');
    await store.claim(b, 'c2', 1, { ClientId: 'c2' });
    await store.recordFailure(b, 'c2', 'HTTP404:x', 404, 1);
    expect(await store.claim(b, 'c2', 1, { ClientId: 'c2' })).toBe('failed');
    expect(await store.recordFailure(b, 'c1', 'late', null, 0, true)).toBe(false);
    expect((await store.list(b, 'succeeded')).map((r) => r.clientId)).toEqual(['c1']);
  });

  it('claims a chunk at once, each entry as claim would: first, again, its outcome, or duplicate (also within the chunk)', async () => {
    const store = await open();
    stores.push(store);
    const b = batchKey(`b-${randomUUID()}`, randomUUID());
    const entry = (id: string, position: number) => ({ id, position, record: { ClientId: id } });
    await store.claim(b, 'done', 0, { ClientId: 'done' });
    await store.recordSuccess(b, 'done', '{}', 200, 1);
    await store.claim(b, 'lost', 1, { ClientId: 'lost' });
    await store.claim(b, 'bad', 2, { ClientId: 'bad' });
    await store.recordFailure(b, 'bad', 'HTTP404:x', 404, 1);
    const chunk = [
      entry('done', 0),
      entry('lost', 1),
      entry('bad', 2),
      entry('new', 3),
      entry('new', 4),
      entry('done', 5),
    ];
    expect(await store.claimAll(b, chunk)).toEqual(['succeeded', 'again', 'failed', 'first', 'duplicate', 'duplicate']);
    expect(await store.claimAll(b, chunk.slice(3, 4))).toEqual(['again']);
    expect(await store.count(b)).toEqual({ 'in-progress': 2, succeeded: 1, failed: 1 });
    expect(await store.claimAll(b, [])).toEqual([]);
  });

  it('overwrites a record on retry, never adding a second one', async () => {
    const store = await open();
    stores.push(store);
    const b = batchKey(`b-${randomUUID()}`, randomUUID());
    await store.claim(b, 'c1', 0, { ClientId: 'c1', ClientName: 'one' });
    await store.recordFailure(b, 'c1', 'HTTP503:x', 503, 1);
    await store.recordSuccess(b, 'c1', '{"ok":true}', 200, 2, 41.6);
    expect(await store.count(b)).toEqual({ 'in-progress': 0, succeeded: 1, failed: 0 });
    expect(await store.list(b, 'succeeded')).toMatchObject([
      { clientId: 'c1', data: '{"ok":true}', reason: null, attempts: 2, record: { ClientName: 'one' }, latencyMs: 42 },
    ]);
    await store.recordFailure(b, 'c1', 'HTTP404:Not Found', 404, 1);
    expect(await store.list(b, 'failed')).toMatchObject([
      { clientId: 'c1', data: null, reason: 'HTTP404:Not Found', lastStatus: 404, latencyMs: null },
    ]);
  });

  it('groups failures by reason and status, and a filtered redrive reads only the matching ones, page by page', async () => {
    const store = await open();
    stores.push(store);
    const b = batchKey(`b-${randomUUID()}`, randomUUID());
    const failures: [string, string, number | null][] = [
      ['f0', 'HTTP503:Service Unavailable', 503],
      ['f1', 'HTTP404:Not Found', 404],
      ['f2', 'Timeout', null],
      ['f3', 'HTTP503:Service Unavailable', 503],
      ['f4', 'HTTP404:Not Found', 404],
      ['f5', 'HTTP503:Service Unavailable', 503],
    ];
    for (const [i, [id, reason, status]] of failures.entries()) {
      await store.claim(b, id, i, { ClientId: id });
      await store.recordFailure(b, id, reason, status, 8, false, `{"error":"${id}"}`);
    }
    expect(await store.failureGroups(b, 2)).toEqual([
      {
        reason: 'HTTP503:Service Unavailable',
        lastStatus: 503,
        count: 3,
        samples: [
          { clientId: 'f0', body: '{"error":"f0"}' },
          { clientId: 'f3', body: '{"error":"f3"}' },
        ],
      },
      {
        reason: 'HTTP404:Not Found',
        lastStatus: 404,
        count: 2,
        samples: [
          { clientId: 'f1', body: '{"error":"f1"}' },
          { clientId: 'f4', body: '{"error":"f4"}' },
        ],
      },
      { reason: 'Timeout', lastStatus: null, count: 1, samples: [{ clientId: 'f2', body: '{"error":"f2"}' }] },
    ]);
    const source = {
      path: 'failed',
      format: 'redrive' as const,
      redrive: { batchId: b.id, batchRun: b.firstRunId, filter: { statuses: ['5xx'], reasons: ['Time*'] } },
    };
    expect(await inspectRedrive(store, source)).toMatchObject({ total: 4, left: 2, firstClientId: 'f0' });
    const first = await readRedrivePage(store, source, { offset: 0, position: 0 }, 2);
    expect(first.clients.map((c) => [c.id, c.position])).toEqual([
      ['f0', 0],
      ['f2', 1],
    ]);
    const second = await readRedrivePage(store, source, first.nextCursor!, 2);
    expect(second.clients.map((c) => [c.id, c.position])).toEqual([
      ['f3', 2],
      ['f5', 3],
    ]);
    expect((await readRedrivePage(store, source, second.nextCursor!, 2)).clients).toEqual([]);
    expect((await store.timeline(b)).reduce((n, p) => n + p.settled, 0)).toBe(6);
  });

  it('keeps the alerts a batch sent, and lets a link be used once', async () => {
    const store = await open();
    stores.push(store);
    const id = `b-${randomUUID()}`;
    const alert = { at: '2026-12-01T10:00:00.000Z', event: 'waiting-for-person', text: 'waiting', sentTo: null };
    await store.recordAlert(id, alert);
    await store.recordAlert(id, { ...alert, at: '2026-12-01T11:00:00.000Z', event: 'ended', sentTo: 'https://hooks' });
    expect((await store.alerts(id, '2026-12-01T00:00:00.000Z', 10)).map((a) => a.event)).toEqual([
      'ended',
      'waiting-for-person',
    ]);
    expect(await store.alerts(id, '2026-12-01T10:30:00.000Z', 10)).toHaveLength(1);
    const link = randomUUID();
    const expires = new Date(Date.now() + 60_000);
    expect(await store.useLink(link, expires)).toBe(true);
    expect(await store.useLink(link, expires)).toBe(false);
  });

  it('iterates rows in source order across pages', async () => {
    const store = await open();
    stores.push(store);
    const b = batchKey(`b-${randomUUID()}`, randomUUID());
    for (let i = 2499; i >= 0; i--) {
      await store.claim(b, `c${i}`, i, { ClientId: `c${i}` });
      await store.recordSuccess(b, `c${i}`, '{}', 200, 1);
    }
    const seen: number[] = [];
    for await (const row of store.iterate(b, 'succeeded')) seen.push(row.position);
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });

  it('keeps the batches that used one id apart, and lists them newest first', async () => {
    const store = await open();
    stores.push(store);
    const id = `reused-${randomUUID()}`;
    const [older, newer] = [batchKey(id, 'run-a'), batchKey(id, 'run-b')];
    await store.claim(older, 'c1', 0, { ClientId: 'c1' });
    await store.recordSuccess(older, 'c1', '{}', 200, 1);
    await sleep(5);
    expect(await store.claim(newer, 'c1', 0, { ClientId: 'c1' })).toBe('first');
    expect(await store.count(newer)).toEqual({ 'in-progress': 1, succeeded: 0, failed: 0 });
    expect(await store.count(older)).toEqual({ 'in-progress': 0, succeeded: 1, failed: 0 });
    expect((await store.batchesUnderId(id)).map((r) => r.firstRunId)).toEqual(['run-b', 'run-a']);
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
      expect(await store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: 39, failed: 1 });
      expect((await store.list(keyOf(summary), 'failed'))[0]).toMatchObject({ clientId: 'C-000004', lastStatus: 404 });
    } finally {
      await store.close();
      await h.close();
    }
  });
});

describe('a results store from before the first-run key', () => {
  const LEGACY = `
    CREATE TABLE client_results (batch_id TEXT NOT NULL, client_id TEXT NOT NULL, position BIGINT NOT NULL, outcome TEXT NOT NULL,
      record TEXT NOT NULL, data TEXT, reason TEXT, last_status INTEGER, attempts INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
      PRIMARY KEY (batch_id, client_id));
    CREATE INDEX client_results_outcome ON client_results (batch_id, outcome, position);
    INSERT INTO client_results VALUES ('old', 'c1', 0, 'succeeded', '{"ClientId":"c1"}', '{"ok":1}', NULL, 200, 1, '2026-11-01T00:00:00.000Z');
    INSERT INTO client_results VALUES ('old', 'c2', 1, 'failed', '{"ClientId":"c2"}', NULL, 'HTTP404:Not Found', 404, 1, '2026-11-01T00:00:01.000Z');`;

  it('is moved on open (SQLite): old rows read as the batch with no run id, and new batches get their own', async () => {
    const file = path.join(tmpdir(), `clientsync-legacy-${randomUUID()}.db`);
    const db = new Database(file);
    db.exec(LEGACY);
    db.close();
    await expectMigrated(await openResultsStore(file));
    await expectMigrated(await openResultsStore(file)); // a second open changes nothing
    const reopened = new Database(file);
    expect(reopened.prepare("SELECT COUNT(*) FROM client_results WHERE batch_run = ''").pluck().get()).toBe(2); // moved once, not twice
    reopened.close();
    await rm(file, { force: true });
  });

  it('gets the latency column on open (SQLite) when it was made before it', async () => {
    const file = path.join(tmpdir(), `clientsync-latency-${randomUUID()}.db`);
    await (await openResultsStore(file)).close();
    const db = new Database(file);
    db.exec(`ALTER TABLE client_results DROP COLUMN latency_ms;
      INSERT INTO client_results (batch_id, batch_run, client_id, position, outcome, record, updated_at)
        VALUES ('old', '', 'c1', 0, 'succeeded', '{"ClientId":"c1"}', '2026-11-01T00:00:00.000Z');
      INSERT INTO batches VALUES ('old', '', '2026-11-01T00:00:00.000Z');
      INSERT INTO client_results (batch_id, batch_run, client_id, position, outcome, record, reason, last_status, updated_at)
        VALUES ('old', '', 'c2', 1, 'failed', '{"ClientId":"c2"}', 'HTTP404:Not Found', 404, '2026-11-01T00:00:01.000Z');`);
    db.close();
    await expectMigrated(await openResultsStore(file));
    await rm(file, { force: true });
  });

  it('is moved on open (PostgreSQL), once, even when two workers open it at the same time', async () => {
    const schema = `cs_legacy_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}; ${LEGACY}`);
      const url = `${PG_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const [a, b] = await Promise.all([openResultsStore(url), openResultsStore(url)]);
      await b.close();
      await expectMigrated(a);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });

  async function expectMigrated(store: ResultsStore) {
    try {
      expect(await store.batchesUnderId('old')).toContainEqual({
        firstRunId: '',
        startedAt: '2026-11-01T00:00:00.000Z',
      });
      expect((await store.list(batchKey('old'), 'failed')).map((r) => [r.clientId, r.reason])).toEqual([
        ['c2', 'HTTP404:Not Found'],
      ]);
      expect(await store.claim(batchKey('old'), 'c1', 0, { ClientId: 'c1' })).toBe('succeeded');
      const fresh = batchKey('old', randomUUID());
      expect(await store.claim(fresh, 'c1', 0, { ClientId: 'c1' })).toBe('first');
      await store.recordSuccess(fresh, 'c1', '{}', 200, 1, 30);
      expect((await store.list(fresh, 'succeeded')).map((r) => r.latencyMs)).toEqual([30]);
    } finally {
      await store.close();
    }
  }
});

describe("a results store's identity", () => {
  it('stays the same when the store is opened again, and two SQLite files are two stores', async () => {
    const [a, b] = [
      path.join(tmpdir(), `clientsync-id-${randomUUID()}.db`),
      path.join(tmpdir(), `clientsync-id-${randomUUID()}.db`),
    ];
    const first = await openResultsStore(a);
    const again = await openResultsStore(`sqlite://${a}`);
    const other = await openResultsStore(b);
    stores.push(first, again, other);
    expect(first.identity).toMatchObject({ kind: 'sqlite', path: a });
    expect(first.identity.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.identity).toEqual(first.identity);
    expect(other.identity.id).not.toBe(first.identity.id);
  });

  it('names PostgreSQL by host, port and database, never by password, and is one id for every connection', async () => {
    const url = new URL(PG_URL);
    url.password ||= 'not-a-real-password'; // trust auth ignores it; the identity must not carry it
    const [one, two] = [await openResultsStore(url.toString()), await openResultsStore(PG_URL)];
    stores.push(one, two);
    expect(one.identity).toEqual({
      id: two.identity.id,
      kind: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
    });
    expect(JSON.stringify(one.identity)).not.toContain(url.password);
  });
});
