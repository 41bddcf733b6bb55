import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqliteResultsStore } from '../../src/store/sqlite-store';
import { batchKey } from '../../src/store/results-store';
import { createHarness, resultOf, waitForState, type Harness } from '../helpers/harness';
import { cli } from '../helpers/in-process-cli';

// A batch records the results store it was started for. A worker on another store (another database, or
// its own SQLite file on its own host) must not take its clients: the batch pauses and says which stores.
let h: Harness;
let batchStore: SqliteResultsStore;
const saved = { ...process.env };

beforeAll(async () => {
  h = await createHarness({ latencyMs: 1 });
  batchStore = SqliteResultsStore.open(path.join(h.dir, 'shared-results.db'));
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: h.address,
    CLIENTSYNC_HOME: path.join(h.dir, '.clientsync'),
    CLIENTSYNC_SEAL_KEY: h.sealKey.toString('base64'),
    RESULTS_DATABASE_URL: batchStore.identity.path, // the CLI's store: not the harness worker's h.store
    API_BASE_URL: h.api.baseUrl,
    API_TOKEN: h.api.issueToken(),
  });
});

beforeEach(() => h.api.ledger.reset()); // the tests use the same ClientIds

afterAll(async () => {
  process.env = saved;
  await batchStore.close();
  await h.close();
});

describe.each([
  { mode: 'one client per activity', flags: [] },
  { mode: 'chunks of 4', flags: ['--clients-per-activity', '4'] },
])('a worker whose results store is not the batch’s ($mode)', ({ flags }) => {
  it('takes no client: the batch pauses naming both stores, and a resume on the right worker calls each client once', async () => {
    const { path: file, ids } = await h.clientFile(24);
    const id = `store-check-${flags.length ? 'chunks' : 'single'}`;
    const requestsBefore = h.api.ledger.requests;

    const { paused, status } = await (
      await h.worker()
    ).runUntil(async () => {
      const r = await cli([
        'start',
        '--clients',
        file,
        '--id',
        id,
        '--concurrency',
        '3',
        '--task-queue',
        h.taskQueue,
        ...flags,
      ]);
      expect(r.errors).toEqual([]);
      return {
        paused: await waitForState(h.client.workflow.getHandle(id), 'paused', 30_000),
        status: await cli(['status', id]),
      };
    });
    expect(paused.pausedBecause).toBe(
      `a worker on ${h.store.identity.host} writes results to SQLite ${h.storePath} on ${h.store.identity.host} (store ${h.store.identity.id.slice(0, 8)}), ` +
        `not to this batch's SQLite ${batchStore.identity.path} on ${batchStore.identity.host} (store ${batchStore.identity.id.slice(0, 8)})`,
    );
    expect(h.api.ledger.requests).toBe(requestsBefore); // nothing was called…
    expect(status.out).toContain(`paused · ${paused.pausedBecause}; fix that, then run \`clientsync resume ${id}\``);

    // The operator points a worker at the batch's store and resumes.
    const summary = await (
      await h.worker({ store: batchStore })
    ).runUntil(async () => {
      expect((await cli(['resume', id])).code).toBe(0);
      return resultOf(h.client.workflow.getHandle(id));
    });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 24, failed: 0 });
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    const key = batchKey(id, summary.batchRun);
    expect(await batchStore.count(key)).toEqual({ 'in-progress': 0, succeeded: 24, failed: 0 }); // …and nothing was scattered
    expect(await h.store.count(key)).toEqual({ 'in-progress': 0, succeeded: 0, failed: 0 });
  });
});

describe('retry-failed on a worker whose store does not hold the failures', () => {
  it('pauses instead of reading another store’s list, and completes the redrive on the right worker', async () => {
    const { path: file, ids } = await h.clientFile(12);
    const missing = ids.slice(0, 5);
    h.api.configure({ missingIds: missing });
    const right = await h.worker({ store: batchStore });
    const original = await right.runUntil(async () => {
      await cli([
        'start',
        '--clients',
        file,
        '--id',
        'store-check-original',
        '--task-queue',
        h.taskQueue,
        '--max-attempts',
        '1',
      ]);
      return resultOf(h.client.workflow.getHandle('store-check-original'));
    });
    expect(original).toMatchObject({ state: 'completed', succeeded: 7, failed: 5 });
    h.api.configure({ missingIds: [] });

    const paused = await (
      await h.worker()
    ).runUntil(async () => {
      const r = await cli([
        'retry-failed',
        'store-check-original',
        '--id',
        'store-check-redrive',
        '--task-queue',
        h.taskQueue,
      ]);
      expect(r.errors).toEqual([]);
      return waitForState(h.client.workflow.getHandle('store-check-redrive'), 'paused', 30_000);
    });
    expect(paused.pausedBecause).toContain(`not to this batch's SQLite ${batchStore.identity.path}`);
    expect(paused.processed).toBe(0);

    const redrive = await (
      await h.worker({ store: batchStore })
    ).runUntil(async () => {
      await cli(['resume', 'store-check-redrive']);
      return resultOf(h.client.workflow.getHandle('store-check-redrive'));
    });
    expect(redrive).toMatchObject({ state: 'completed', succeeded: 5, failed: 0 });
    for (const id of missing) expect(h.api.ledger.clients.get(id)?.successes).toBe(1);
  });
});
