import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { busiestRate } from '../helpers/busiest-window';
import { expectEveryWorkerHeld, THROTTLED_ONCE } from '../helpers/pace-scenarios';
import { spawnCli, spawnWorker, untilOutput, wiringFor, type CliProcess } from '../helpers/cli-process';
import { OPERATOR_PASSWORD, signIn, startConsoleProcess, TestBrowser } from '../helpers/console-browser';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { freeClusterPort, freePort } from '../helpers/ports';

// What works on the dev server works on `clientsync server --postgres`: a Temporal cluster (frontend, history,
// matching and worker services, each its own process) on PostgreSQL, with the results store on PostgreSQL too.
describe('on a Temporal cluster on PostgreSQL', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  const databases = [`cs_pgc_${run}`, `cs_pgc_${run}_visibility`, `cs_pgc_store_${run}`];
  const base = new URL(inject('databaseUrl'));
  const urlOf = (db: string) => Object.assign(new URL(base.toString()), { pathname: `/${db}` }).toString();
  /** The results store every process of a test uses. */
  const store = { RESULTS_DATABASE_URL: urlOf(databases[2]!) };
  let address = '';
  let dir: string | undefined;
  let h: Harness | undefined;
  let browser: TestBrowser | undefined;
  let server: CliProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-pg-cluster-'));
    const port = await freeClusterPort();
    address = `127.0.0.1:${port}`;
    const args = [
      'server',
      '--postgres',
      urlOf(databases[0]!),
      '--port',
      String(port),
      '--ui-port',
      String(await freePort()),
    ];
    server = spawnCli(wiringFor(address, dir), args, {}, { forSuite: true });
    await untilOutput(server, 'Temporal cluster ready', 300_000);
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databases[2]}`);
    await admin.end();
  }, 600_000);
  afterEach(async () => {
    await browser?.close();
    await h?.close();
    browser = h = undefined;
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    if (dir) await rm(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('the console: a person signs in and hands the waiting batch a token; it completes, each client once', async () => {
    h = await createHarness({ expireAfter: 30 }, { address });
    const { path: file, ids } = await h.clientFile(50);
    const console_ = await startConsoleProcess(h, store);
    await spawnWorker(h, store);
    const start = spawnCli(
      h,
      ['start', '--clients', file, '--api-url', h.api.baseUrl, '--id', 'pg-console', '--task-queue', h.taskQueue],
      { ...store, API_TOKEN: h.api.issueToken() },
    );
    expect(await start.exited, start.output()).toBe(0);
    const handle = h.client.workflow.getHandle('pg-console');
    await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.inFlight === 0, 120_000);

    browser = await TestBrowser.launch();
    const { page } = await browser.visitor();
    await signIn(page, console_.url, OPERATOR_PASSWORD);
    await page.getByRole('link', { name: 'pg-console' }).click();
    await page.getByRole('heading', { name: 'Waiting for a new token' }).waitFor();
    const token = h.api.issueToken();
    await page.getByLabel('New API token').fill(token);
    await page.getByRole('button', { name: 'Hand the batch this token' }).click();
    await page
      .getByRole('status')
      .getByText(/^Resumed batch pg-console/)
      .waitFor();
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 50, failed: 0 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });
    expect((await page.content()).includes(token)).toBe(false);
    expect(console_.process.output().includes(token)).toBe(false);
  });

  it('the pace: a Retry-After holds both worker processes through the PostgreSQL store', async () => {
    h = await createHarness(THROTTLED_ONCE, { address });
    await expectEveryWorkerHeld(h, store, { store: undefined });
  });

  it('the pace: a batch started through the CLI keeps to the rate the API states in RateLimit-Policy', async () => {
    h = await createHarness({ rateLimitPolicy: '"default";q=50;w=1' }, { address });
    await spawnWorker(h, store);
    const { path: file, ids } = await h.clientFile(400);
    const start = spawnCli(
      h,
      ['start', '--clients', file, '--api-url', h.api.baseUrl, '--id', 'pg-policy', '--task-queue', h.taskQueue],
      { ...store, API_TOKEN: h.api.issueToken() },
    );
    expect(await start.exited, start.output()).toBe(0);
    const handle = h.client.workflow.getHandle('pg-policy');
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 400 });
    expect(h.api.ledger.check(ids).missing).toEqual([]);
    const times = [...h.api.ledger.requestTimes].sort((x, y) => x - y);
    const from = times[0]! + 1000;
    expect(
      busiestRate(
        times.filter((t) => t >= from),
        1000,
      ),
    ).toBeLessThanOrEqual(53);
  });
});
