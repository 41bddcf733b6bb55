import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnCli, spawnWorker, untilOutput, wiringFor } from '../helpers/cli-process';
import { OPERATOR_PASSWORD, signIn, startConsoleProcess, TestBrowser } from '../helpers/console-browser';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { freeClusterPort, freePort } from '../helpers/ports';

// The console on `clientsync server --postgres`: a Temporal cluster (frontend, history, matching and worker
// services) on PostgreSQL, the results store on PostgreSQL too.
describe('the console on a PostgreSQL cluster', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  const databases = [`cs_console_${run}`, `cs_console_${run}_visibility`, `cs_console_store_${run}`];
  const base = new URL(inject('databaseUrl'));
  const urlOf = (db: string) => Object.assign(new URL(base.toString()), { pathname: `/${db}` }).toString();
  let h: Harness | undefined;
  let browser: TestBrowser | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await browser?.close();
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    for (const db of databases) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('a person signs in and hands the waiting batch a token; it completes, each client once', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-console-pg-'));
    const port = await freeClusterPort();
    const args = [
      'server',
      '--postgres',
      urlOf(databases[0]!),
      '--port',
      String(port),
      '--ui-port',
      String(await freePort()),
    ];
    await untilOutput(spawnCli(wiringFor(`127.0.0.1:${port}`, dir), args), 'Temporal cluster ready', 300_000);
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databases[2]}`);
    await admin.end();
    const store = { RESULTS_DATABASE_URL: urlOf(databases[2]!) };

    h = await createHarness({ expireAfter: 30 }, { address: `127.0.0.1:${port}` });
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
});
