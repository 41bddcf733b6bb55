import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { progressQuery } from '../../src/shared';
import { batchKey, openResultsStore } from '../../src/store/results-store';
import { startCluster, type Cluster } from '../../src/temporal-server/cluster/cluster';
import { serverAnswers } from '../../src/temporal-server/dev-server';
import { probeUrl } from '../../src/domain/sources';
import { spawnCli, spawnWorker, type CliProcess } from '../helpers/cli-process';
import { startFileServer } from '../helpers/file-server';
import { createHarness, keyOf, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { freeClusterPort, freePort } from '../helpers/ports';

const exec = promisify(execFile);

// A real Temporal cluster: PostgreSQL persistence and visibility, frontend, history, matching and worker
// each in its own process under `clientsync server --postgres`'s supervisor; three clientsync workers in
// their own processes, each with its own HOME and working folder, sharing only the seal key and a
// PostgreSQL results store; the clients file read over HTTP.
describe('a batch on a Temporal cluster on PostgreSQL', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  const temporalDb = `cs_cluster_${run}`;
  const storeDb = `cs_store_${run}`;
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  const urlFor = (db: string) => Object.assign(new URL(inject('databaseUrl')), { pathname: `/${db}` }).toString();
  let cluster: Cluster;
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${storeDb}`);
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-cluster-'));
    const log = (line: string) => logLines.push(line);
    cluster = await startCluster({ postgresUrl: urlFor(temporalDb), ip: '127.0.0.1', port: await freeClusterPort(), uiPort: await freePort(), historyShards: 4, dir, log });
    h = await createHarness({ expireAfter: 1500, latencyMs: 3, missingIds: ['C-000777', 'C-004321'] }, { address: cluster.address });
  }, 600_000);

  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
    for (const db of [temporalDb, `${temporalDb}_visibility`, storeDb]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });
  const logLines: string[] = [];

  /** A worker "host": its own HOME and working folder; the shared seal key and store come from the environment. */
  async function workerHost(n: number): Promise<CliProcess> {
    const home = path.join(dir, `host-${n}`);
    await mkdir(home, { recursive: true });
    return spawnWorker(h, { HOME: home, CLIENTSYNC_HOME: path.join(home, '.clientsync'), RESULTS_DATABASE_URL: urlFor(storeDb) });
  }

  it('survives a worker SIGKILLed, history SIGKILLed and matching restarted, with every client called once', async () => {
    expect(await exec(path.join(path.dirname(inject('temporalBin')), 'temporal-server'), ['--version']).then((r) => r.stdout)).toMatch(/1\.29\.1/);
    const count = 5000;
    const { path: file, ids } = await h.clientFile(count, { groupSize: 500 });
    // The clients file is served over HTTP, read with Range requests: no worker host holds it.
    const files = await startFileServer(path.dirname(file));
    const url = `${files.origin}/${path.basename(file)}`;
    const workers = await Promise.all([1, 2, 3].map(workerHost));
    const source = { path: url, format: 'seed-json' as const, version: await probeUrl(url) };
    const handle = await h.startBatch(url, { source, total: count, options: { concurrency: 16, callTimeoutMs: 2000 } });

    // The operator: refreshes with the official `temporal workflow signal`, from a host of its own.
    const temporal = inject('temporalBin');
    let refreshes = 0;
    let done = false;
    const operator = (async () => {
      while (!done) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p?.state === 'waiting-for-token') {
          const input = JSON.stringify({ sealedToken: h.seal(h.api.issueToken()) });
          await exec(temporal, ['workflow', 'signal', '--address', cluster.address, '--workflow-id', handle.workflowId, '--name', 'tokenRefreshed', '--input', input]);
          refreshes++;
          await waitForProgress(handle, (q) => q.state !== 'waiting-for-token', 30_000);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await waitForProgress(handle, (p) => p.processed >= 800, 240_000);
    workers[0]!.child.kill('SIGKILL');
    await waitForProgress(handle, (p) => p.processed >= 1800, 240_000);
    cluster.services.history.child()!.kill('SIGKILL');
    await waitForProgress(handle, (p) => p.processed >= 2800, 240_000);
    cluster.services.matching.child()!.kill('SIGTERM');
    const summary = await resultOf(handle);
    done = true;
    await operator;
    expect(files.rangeRequests()).toBeGreaterThanOrEqual(count / 200); // every page
    await files.close();

    // Each was restarted by the supervisor (a restart that meets the old instance's leftovers may take a second try).
    const restarts = logLines.filter((l) => /^(history|matching) exited \(.*\); restarting in \d/.test(l));
    expect(cluster.services.history.restarts(), logLines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(cluster.services.matching.restarts(), logLines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(restarts).toContain(logLines.find((l) => l.startsWith('history exited (signal SIGKILL)')));
    expect(restarts.some((l) => l.startsWith('matching exited'))).toBe(true);
    console.log(`supervisor: ${restarts.length} restarts: ${restarts.map((l) => l.slice(0, 120)).join(' | ')}`);
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(summary).toMatchObject({ state: 'completed', processed: count, succeeded: count - 2, failed: 2 });
    const check = h.api.ledger.check(ids.filter((id) => id !== 'C-000777' && id !== 'C-004321'));
    expect(check).toMatchObject({ missing: [], unexpected: [], repeatedWithOtherKey: [] });
    expect(check.repeated.length).toBeLessThanOrEqual(16); // only calls in flight on the killed worker
    console.log(
      `cluster batch: ${count} clients in ${(summary.durationMs / 1000).toFixed(1)} s (${((count * 1000) / summary.durationMs).toFixed(1)} calls/s), ` +
        `${summary.runs} runs, ${refreshes} refreshes by \`temporal workflow signal\`, ${check.repeated.length} repeated (same key)`,
    );

    // The CLI host: results exported from the shared store equal the ledger; the failures are redriven.
    const cli = (args: string[]) => spawnCli(h, args, { TEMPORAL_ADDRESS: cluster.address, RESULTS_DATABASE_URL: urlFor(storeDb), API_TOKEN: h.api.issueToken() });
    const out = path.join(dir, 'results.jsonl');
    const exported = cli(['results', handle.workflowId, '--out', out, '--format', 'jsonl']);
    expect(await exported.exited, exported.output()).toBe(0);
    const rows = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { client: { ClientId: string } });
    expect(new Set(rows.map((r) => r.client.ClientId))).toEqual(new Set([...h.api.ledger.clients].filter(([, c]) => c.successes > 0).map(([id]) => id)));

    h.api.configure({ missingIds: [], expireAfter: 0 });
    const redrive = cli(['retry-failed', handle.workflowId, '--id', `${handle.workflowId}-retry`, '--task-queue', h.taskQueue]);
    expect(await redrive.exited, redrive.output()).toBe(0);
    const retried = await resultOf(h.client.workflow.getHandle(`${handle.workflowId}-retry`));
    expect(retried).toMatchObject({ state: 'completed', succeeded: 2, failed: 0 });
    const store = await openResultsStore(urlFor(storeDb));
    try {
      expect(await store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: count - 2, failed: 2 });
      expect(await store.count(batchKey(retried.batchId, retried.batchRun))).toEqual({ 'in-progress': 0, succeeded: 2, failed: 0 });
    } finally {
      await store.close();
    }
    expect(await serverAnswers(cluster.address)).toBe(true);
  });
});
