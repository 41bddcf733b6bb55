import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporalCli } from '../helpers/temporal-cli';
import { progressQuery } from '../../src/contract/messages';
import { batchKey, openResultsStore } from '../../src/store/results-store';
import { startCluster, type Cluster } from '../../src/temporal-server/cluster/cluster';
import { resolveBinary, TEMPORAL_SERVER, TEMPORAL_SERVER_VERSION } from '../../src/temporal-server/provision';
import { serverAnswers } from '../../src/connection/connection';
import { Ledger } from '../../src/fake-api/ledger';
import { spawnCli, spawnNode, spawnWorker, untilOutput } from '../helpers/cli-process';
import { createHarness, keyOf, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { makeHosts, type Host, type Hosts } from '../helpers/hosts';
import { freeClusterPort, freePort } from '../helpers/ports';
import { forwardTcp } from '../helpers/tcp-forward';
import { setTimeout as sleep } from 'node:timers/promises';

import { recordedOptions, resolveOptions } from '../../src/contract/options';

const exec = promisify(execFile);

// Enough for several runs (continue-as-new), two token expiries and each kill at its own stage of the batch.
const COUNT = Number(process.env.CLUSTER_CLIENTS ?? 8_000);
const CONCURRENCY = 16;
const PER_ACTIVITY = Number(process.env.CLUSTER_CLIENTS_PER_ACTIVITY ?? 1);
const BATCH_FLAGS = [
  '--concurrency',
  String(CONCURRENCY),
  '--timeout-ms',
  '2000',
  '--clients-per-activity',
  String(PER_ACTIVITY),
];
/** Repeats happen only for calls in flight on the killed worker: at most every slot's chunk. */
const MAX_REPEATS = CONCURRENCY * PER_ACTIVITY;

// A real Temporal cluster: PostgreSQL persistence and visibility, frontend, history, matching and worker
// each in its own process under `clientsync server --postgres`'s supervisor, listening on a bridge. The
// other machines are network namespaces on that bridge: three worker hosts (each with its own HOME and
// working folder, sharing only the seal key and a PostgreSQL results store), an API host (the fake API and
// an HTTP file server with Range holding the clients file) and a CLI host that starts the batch, refreshes
// its token with `temporal workflow signal`, exports the results and redrives the failures.
describe('a batch on a Temporal cluster on PostgreSQL, its hosts on a network', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  const temporalDb = `cs_cluster_${run}`;
  const storeDb = `cs_store_${run}`;
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  const database = new URL(inject('databaseUrl'));
  const logLines: string[] = [];
  let hosts: Hosts;
  let forward: { close(): Promise<void> } | undefined;
  let cluster: Cluster;
  let h: Harness;
  let dir: string;
  /** The results store as every host reaches it: PostgreSQL through the cluster host's address. */
  let storeUrl: string;
  let temporalBin: string;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${storeDb}`);
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-cluster-'));
    hosts = await makeHosts(['api', 'cli', 'w1', 'w2', 'w3'], (line) => console.log(line));
    temporalBin = await temporalCli();
    const port = Number(database.port || 5432);
    // PostgreSQL listens on 127.0.0.1 only: the cluster host forwards its port on the bridge address to it.
    if (hosts.mode === 'netns')
      forward = await forwardTcp({ host: hosts.gatewayIp, port }, { host: database.hostname, port });
    storeUrl = Object.assign(new URL(database.toString()), {
      hostname: hosts.gatewayIp,
      pathname: `/${storeDb}`,
    }).toString();
    const postgresUrl = Object.assign(new URL(database.toString()), { pathname: `/${temporalDb}` }).toString();
    const log = (line: string) => logLines.push(line);
    cluster = await startCluster({
      postgresUrl,
      ip: hosts.gatewayIp,
      port: await freeClusterPort(),
      uiPort: await freePort(),
      historyShards: 4,
      dir,
      log,
    });
    // The test itself observes from the cluster host (queries, history); its harness's own fake API goes unused.
    h = await createHarness({}, { address: cluster.address });
  }, 600_000);

  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
    await forward?.close();
    await hosts?.close();
    for (const db of [temporalDb, `${temporalDb}_visibility`, storeDb])
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  /** A host's own HOME and working folder; nothing under it is shared. */
  async function homeOf(host: Host): Promise<NodeJS.ProcessEnv & { HOME: string }> {
    const home = path.join(dir, host.name);
    await mkdir(home, { recursive: true });
    return { HOME: home, CLIENTSYNC_HOME: path.join(home, '.clientsync'), RESULTS_DATABASE_URL: storeUrl };
  }

  /** The API host: the fake API and the file server in a process of their own, driven over HTTP. */
  async function apiHost(options: object) {
    const host = hosts.host('api');
    const p = await untilOutput(
      spawnNode(
        h,
        [path.join(__dirname, '../helpers/api-host.ts')],
        { API_HOST_IP: host.ip, API_HOST_DIR: h.dir, API_HOST_OPTIONS: JSON.stringify(options) },
        { host },
      ),
      'api-host ready',
    );
    const { api, files } = JSON.parse(/api-host ready (.*)/.exec(p.output())![1]!) as { api: string; files: string };
    const json = async <T>(url: string, init?: RequestInit) => (await (await fetch(url, init)).json()) as T;
    return {
      api,
      files,
      token: async () => (await json<{ token: string }>(`${api}/token`, { method: 'POST' })).token,
      ledger: async () => Ledger.fromJSON(await json(`${api}/_stats`)),
      configure: async (changes: object) =>
        void (await fetch(`${api}/_configure`, { method: 'POST', body: JSON.stringify(changes) })),
      rangeRequests: async () => (await json<{ rangeRequests: number }>(`${files}/_stats`)).rangeRequests,
    };
  }

  it('survives a worker SIGKILLed, history SIGKILLed and matching restarted, with every client called once', async () => {
    expect((await exec((await resolveBinary(TEMPORAL_SERVER)).path, ['--version'])).stdout).toContain(
      TEMPORAL_SERVER_VERSION,
    );
    const count = COUNT;
    const { path: file, ids } = await h.clientFile(count, { groupSize: 500 });
    const missing = [ids[776]!, ids[Math.floor(count * 0.72)]!]; // they answer 404: the batch's two failures
    // The API takes a PUT per client with a JSON body and an API key header: a request built from each entry.
    const remote = await apiHost({
      expireAfter: 3000,
      latencyMs: 3,
      missingIds: missing,
      seed: 7,
      auth: 'header:X-Api-Key',
    });
    const url = `${remote.files}/${path.basename(file)}`; // read with Range requests: no worker host holds the file
    const workers = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const host = hosts.host(`w${n}`);
        const env = await homeOf(host);
        return spawnWorker(h, env, { host, cwd: env.HOME });
      }),
    );

    // The CLI host starts the batch, as an operator would.
    const cliHost = hosts.host('cli');
    const cliEnv = await homeOf(cliHost);
    const cli = async (args: string[]) =>
      spawnCli(h, args, { ...cliEnv, API_TOKEN: await remote.token() }, { host: cliHost, cwd: cliEnv.HOME });
    const batchId = `cluster-${run}`;
    const request = [
      '--api-url',
      `${remote.api}/clients/{ClientId}`,
      '--method',
      'PUT',
      '--auth',
      'header:X-Api-Key',
      '--body',
      '{"id": ClientId, "name": ClientName}',
    ];
    const started = await cli([
      'start',
      '--clients',
      url,
      '--id',
      batchId,
      ...request,
      '--task-queue',
      h.taskQueue,
      ...BATCH_FLAGS,
    ]);
    expect(await started.exited, started.output()).toBe(0);
    const handle = h.client.workflow.getHandle(batchId);

    // The operator refreshes with the official `temporal workflow signal`, from the CLI host.
    let refreshes = 0;
    let done = false;
    const operator = (async () => {
      while (!done) {
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p?.state === 'waiting-for-token') {
          const input = JSON.stringify({ sealedToken: h.seal(await remote.token()) });
          await exec(
            ...cliHost.wrap(temporalBin, [
              'workflow',
              'signal',
              '--address',
              cluster.address,
              '--workflow-id',
              batchId,
              '--name',
              'tokenRefreshed',
              '--input',
              input,
            ]),
          );
          refreshes++;
          await waitForProgress(handle, (q) => q.state !== 'waiting-for-token', 30_000);
        }
        await sleep(200);
      }
    })();

    await waitForProgress(handle, (p) => p.processed >= count * 0.15, 600_000);
    workers[0]!.child.kill('SIGKILL');
    await waitForProgress(handle, (p) => p.processed >= count * 0.35, 600_000);
    cluster.services.history.child()!.kill('SIGKILL');
    await waitForProgress(handle, (p) => p.processed >= count * 0.55, 600_000);
    cluster.services.matching.child()!.kill('SIGTERM');
    const summary = await resultOf(handle);
    done = true;
    await operator;
    const { pageSize } = resolveOptions(
      recordedOptions({ concurrency: CONCURRENCY, clientsPerActivity: PER_ACTIVITY }),
    );
    expect(await remote.rangeRequests()).toBeGreaterThanOrEqual(Math.ceil(count / pageSize)); // every page

    // Each was restarted by the supervisor (a restart that meets the old instance's leftovers may take a second try).
    const restarts = logLines.filter((l) => /^(history|matching) exited \(.*\); restarting in \d/.test(l));
    expect(cluster.services.history.restarts(), logLines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(cluster.services.matching.restarts(), logLines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(restarts).toContain(logLines.find((l) => l.startsWith('history exited (signal SIGKILL)')));
    expect(restarts.some((l) => l.startsWith('matching exited'))).toBe(true);
    console.log(`supervisor: ${restarts.length} restarts: ${restarts.map((l) => l.slice(0, 120)).join(' | ')}`);
    expect(refreshes).toBeGreaterThanOrEqual(Math.floor(count / 3000) - 1);
    expect(summary).toMatchObject({ state: 'completed', processed: count, succeeded: count - 2, failed: 2 });
    // The batch continued as new across the kills (8,000 clients made 8 runs).
    if (PER_ACTIVITY === 1 && count >= 2_000) expect(summary.runs).toBeGreaterThan(1);
    const ledger = await remote.ledger();
    const check = ledger.check(ids.filter((id) => !missing.includes(id)));
    expect(check).toMatchObject({ missing: [], unexpected: [], repeatedWithOtherKey: [] });
    expect(check.repeated.length).toBeLessThanOrEqual(MAX_REPEATS); // only calls in flight on the killed worker
    expect(ledger.clients.get(ids[0]!)!.writes![0]).toMatchObject({
      method: 'PUT',
      body: { id: ids[0], name: 'Client 1' },
    });
    console.log(
      `cluster batch (${hosts.mode}): ${count} clients in ${(summary.durationMs / 1000).toFixed(1)} s (${((count * 1000) / summary.durationMs).toFixed(1)} calls/s), ` +
        `${summary.runs} runs, ${refreshes} refreshes by \`temporal workflow signal\`, ${check.repeated.length} repeated (same key)`,
    );

    // The CLI host: results exported from the shared store equal the ledger; the failures are redriven.
    const out = path.join(cliEnv.HOME, 'results.jsonl');
    const exported = await cli(['results', batchId, '--out', out, '--format', 'jsonl']);
    expect(await exported.exited, exported.output()).toBe(0);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { client: { ClientId: string } });
    expect(rows.length).toBe(count - 2);
    expect(new Set(rows.map((r) => r.client.ClientId))).toEqual(
      new Set([...ledger.clients].filter(([, c]) => c.successes > 0).map(([id]) => id)),
    );

    await remote.configure({ missingIds: [], expireAfter: 0 });
    const redrive = await cli(['retry-failed', batchId, '--id', `${batchId}-retry`, '--task-queue', h.taskQueue]);
    expect(await redrive.exited, redrive.output()).toBe(0);
    const retried = await resultOf(h.client.workflow.getHandle(`${batchId}-retry`));
    expect(retried).toMatchObject({ state: 'completed', succeeded: 2, failed: 0 });
    // The redrive makes the same request: a PUT with the body built from the entry.
    for (const id of missing)
      expect((await remote.ledger()).clients.get(id)).toMatchObject({
        successes: 1,
        writes: [{ method: 'PUT', body: { id } }],
      });
    const store = await openResultsStore(storeUrl);
    try {
      expect(await store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: count - 2, failed: 2 });
      expect(await store.count(batchKey(retried.batchId, retried.batchRun))).toEqual({
        'in-progress': 0,
        succeeded: 2,
        failed: 0,
      });
    } finally {
      await store.close();
    }
    expect(await serverAnswers(cluster.address)).toBe(true);
  });
});
