import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openResultsStore } from '../../src/store/results-store';
import { spawnWorker } from '../helpers/cli-process';
import { createHarness, keyOf, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { setTimeout as sleep } from 'node:timers/promises';

const PG_URL = inject('databaseUrl');

let h: Harness | undefined;
let admin: pg.Client | undefined;
let database: string | undefined;
afterEach(async () => {
  if (admin && database) {
    await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`).catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
  await admin?.end();
  await h?.close();
  admin = database = h = undefined;
});

/** The store's database refuses every connection, and the open ones are cut, for `ms`; then it comes back. */
async function outage(client: pg.Client, name: string, ms: number): Promise<void> {
  await client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    await sleep(1000);
  }
  await client.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
}

describe('a results store outage', () => {
  it('30 s without the PostgreSQL store mid-batch: the worker stays up, says so twice, and every client ends recorded', async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    database = `cs_outage_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await admin.query(`CREATE DATABASE ${database}`);
    const storeUrl = Object.assign(new URL(PG_URL), { pathname: `/${database}` }).toString();

    h = await createHarness({ latencyMs: 5 });
    const { path: file, ids } = await h.clientFile(1500);
    const worker = await spawnWorker(h, { RESULTS_DATABASE_URL: storeUrl });
    const handle = await h.startBatch(file, { options: { concurrency: 4 } });
    await waitForProgress(handle, (p) => p.processed >= 150, 60_000);
    await outage(admin, database, 30_000);
    const summary = await resultOf(handle);

    expect(worker.child.exitCode).toBeNull(); // still running
    const log = worker.output();
    expect(log.match(/results store unreachable/g)).toHaveLength(1);
    expect(log.match(/results store reachable again after \d+ s/g)).toHaveLength(1);
    expect(log).not.toMatch(/\n\s+at /); // no stack traces for an expected outage
    const check = h.api.ledger.check(ids);
    expect(check).toMatchObject({ missing: [], unexpected: [], repeatedWithOtherKey: [] });
    // A repeat only where an answer arrived as the store went away: at most one per call in flight.
    expect(check.repeated.length).toBeLessThanOrEqual(4);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 1500, failed: 0 });
    const store = await openResultsStore(storeUrl);
    try {
      expect(await store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: 1500, failed: 0 });
    } finally {
      await store.close();
    }
  });
});
