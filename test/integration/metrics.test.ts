import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, resultOf, waitForState, type Harness } from '../helpers/harness';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { freePort } from '../helpers/ports';
import { ROOT } from '../helpers/docs-check';
import { setTimeout as sleep } from 'node:timers/promises';

const exec = promisify(execFile);
const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

/** A real Prometheus scraping `target` every second, its data in `dir`. */
async function startPrometheus(
  dir: string,
  target: string,
): Promise<{ query(q: string): Promise<number | null>; stop(): Promise<void> }> {
  const port = await freePort();
  await mkdir(path.join(dir, 'tsdb'), { recursive: true });
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(
    config,
    `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: clientsync\n    static_configs:\n      - targets: ['${target}']\n`,
  );
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    {
      stdio: 'ignore',
    },
  );
  const api = `http://127.0.0.1:${port}`;
  const ready = async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true;
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(
        `Prometheus at ${PROMETHEUS} did not start (install Debian's prometheus, or set PROMETHEUS_PATH)`,
      );
    await sleep(200);
  }
  return {
    /** The single value of an instant query, or null when it has none. */
    async query(q: string) {
      const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
        data: { result: Array<{ value: [number, string] }> };
      };
      const [first] = body.data.result;
      return first ? Number(first.value[1]) : null;
    },
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

describe('metrics: a real Prometheus scrapes a worker', () => {
  let h: Harness;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  afterEach(async () => {
    await prometheus?.stop();
    await h?.close();
    prometheus = undefined;
    h = undefined as unknown as Harness;
  });

  it('counts what the API ledger counts, and shows the batch waiting for a person while it waits', async () => {
    h = await createHarness({ expireAfter: 120, faultRate: 0.05 });
    const { path: file, ids } = await h.clientFile(300);
    const metrics = `127.0.0.1:${await freePort()}`;
    const worker = await spawnWorker(h, { CLIENTSYNC_METRICS: metrics });
    expect(worker.output()).toContain(`metrics on http://${metrics}/metrics`);
    prometheus = await startPrometheus(path.join(h.dir, 'prometheus'), metrics);
    const batch = `{task_queue="${h.taskQueue}", batch_id="metrics-batch"}`;
    const q = (expr: string) => prometheus!.query(expr);
    /**
     * Polls until Prometheus answers `expected` (its scrapes and the worker's gauges lag seconds), for at most 40 s;
     * the last answer.
     */
    const settles = async (expr: string, expected: number) => {
      let last: number | null = null;
      for (let i = 0; i < 80 && (last = await q(expr)) !== expected; i++) await sleep(500);
      return last;
    };

    const start = spawnCli(
      h,
      [
        'start',
        '--clients',
        file,
        '--id',
        'metrics-batch',
        '--api-url',
        h.api.baseUrl,
        '--task-queue',
        h.taskQueue,
        '--concurrency',
        '8',
      ],
      {
        API_TOKEN: h.api.issueToken(),
      },
    );
    expect(await start.exited, start.output()).toBe(0);
    const handle = h.client.workflow.getHandle('metrics-batch');
    await waitForState(handle, 'waiting-for-token', 120_000);
    expect(await settles(`max(clientsync_batches_waiting_for_person{task_queue="${h.taskQueue}"})`, 1)).toBe(1);
    // The batch's pace, as the workflow last set it: calls in flight within its ceiling.
    const pace = await q(`max(clientsync_pace_concurrency${batch})`);
    expect(pace).toBeGreaterThanOrEqual(1);
    expect(pace).toBeLessThanOrEqual(8);
    expect(await q(`max(clientsync_oldest_wait_for_person_seconds{task_queue="${h.taskQueue}"})`)).toBeGreaterThan(0);

    h.api.configure({ expireAfter: 0 });
    const refresh = spawnCli(h, ['refresh-token', 'metrics-batch', '--token-stdin']);
    refresh.child.stdin!.end(h.api.issueToken());
    expect(await refresh.exited).toBe(0);
    const summary = await resultOf(handle);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 300, tokenRefreshes: 1 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });

    // PromQL equals the API's ledger, outcome by outcome.
    const ledger = h.api.ledger;
    expect(
      await settles(
        `sum(clientsync_api_calls_total{outcome="succeeded", task_queue="${h.taskQueue}"})`,
        ledger.totalSuccesses,
      ),
    ).toBe(300);
    expect(
      await settles(
        `sum(clientsync_api_calls_total{outcome="token_expired", task_queue="${h.taskQueue}"})`,
        ledger.statusCounts[401] ?? 0,
      ),
    ).toBe(ledger.statusCounts[401]);
    expect(ledger.statusCounts[401]).toBeGreaterThan(0);
    expect(
      await settles(
        `sum(clientsync_api_calls_total{outcome="retried_5xx", task_queue="${h.taskQueue}"})`,
        ledger.statusCounts[503] ?? 0,
      ),
    ).toBe(ledger.statusCounts[503]);
    expect(ledger.statusCounts[503]).toBeGreaterThan(0);
    expect(await q(`sum(clientsync_clients_processed_total{result="succeeded", task_queue="${h.taskQueue}"})`)).toBe(
      300,
    );
    expect(await q(`sum(clientsync_api_call_duration_seconds_count{task_queue="${h.taskQueue}"})`)).toBe(
      ledger.requests,
    );
    expect(await q(`sum(clientsync_token_refreshes_total${batch.replace('}', ', kind="person"}')})`)).toBe(1);
    expect(await settles(`max(clientsync_batches_waiting_for_person{task_queue="${h.taskQueue}"})`, 0)).toBe(0);
    expect(await settles(`max(clientsync_pace_concurrency${batch})`, 0)).toBe(0); // ended
    // The SDK's own worker metrics come out of the same endpoint.
    expect(
      await q(`count(temporal_workflow_task_execution_latency_count{task_queue="${h.taskQueue}"})`),
    ).toBeGreaterThan(0);

    // promtool accepts the endpoint's exposition, and no label carries a ClientId or the token.
    const exposition = await (await fetch(`http://${metrics}/metrics`)).text();
    const check = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let lint = '';
    check.stdout.on('data', (d: Buffer) => (lint += d.toString()));
    check.stderr.on('data', (d: Buffer) => (lint += d.toString()));
    check.stdin.end(exposition);
    expect(await new Promise((r) => check.once('exit', r)), lint).toBe(0);
    expect(ids.filter((id) => exposition.includes(id))).toEqual([]);
    for (const token of h.api.issuedTokens()) expect(exposition.includes(token)).toBe(false);
  }, 240_000);

  it('refuses a --metrics that is not host:port, or whose port is taken, in one line before it polls', async () => {
    h = await createHarness();
    const bad = spawnCli(h, ['worker', '--task-queue', h.taskQueue, '--metrics', '9464']);
    expect(await bad.exited).toBe(2);
    expect(bad.output().trim()).toBe('clientsync: --metrics "9464" is not host:port; use e.g. --metrics 0.0.0.0:9464');
    const taken = `127.0.0.1:${new URL(h.api.origin).port}`; // the fake API listens there
    const busy = spawnCli(h, ['worker', '--task-queue', h.taskQueue], { CLIENTSYNC_METRICS: taken });
    expect(await busy.exited).toBe(2);
    expect(busy.output().trim()).toMatch(
      new RegExp(`^clientsync: --metrics ${taken}: .*Address already in use.*; pick another address$`),
    );
  }, 60_000);

  it('ships alert rules, a compose profile config and a dashboard whose every expression promtool accepts', async () => {
    await exec(PROMTOOL, ['check', 'rules', path.join(ROOT, 'docs/monitoring/alert-rules.yml')]);
    // The compose profile's Prometheus config, with the rules it loads.
    expect(
      (await exec(PROMTOOL, ['check', 'config', path.join(ROOT, 'docs/monitoring/prometheus.yml')])).stdout,
    ).toContain('SUCCESS: 3 rules found');
    // The dashboard's queries, as recording rules: promtool parses each one.
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, 'docs/monitoring/grafana-dashboard.json'), 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr.replace(/\$task_queue/g, '.*')));
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const rules = path.join(await mkdtemp(path.join(tmpdir(), 'clientsync-dashboard-')), 'dashboard-rules.yml');
    await writeFile(
      rules,
      `groups:\n  - name: dashboard\n    rules:\n${exprs.map((e, i) => `      - record: dashboard:expr${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`,
    );
    const { stdout } = await exec(PROMTOOL, ['check', 'rules', rules]);
    expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  }, 60_000);
});
