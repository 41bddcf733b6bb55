import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBatchWorkflow } from '../../src/connection/start-batch';
import { replayOptions } from '../../src/worker/sinks';
import { pauseSignal, refreshTokenUpdate, resumeSignal, setLimitsUpdate } from '../../src/contract/messages';
import type { TokenProvider } from '../../src/token/token-provider';
import { batchInputFor } from '../helpers/batch-input';
import { startFileServer } from '../helpers/file-server';
import {
  operatorRefreshes,
  createHarness,
  resultOf,
  waitForProgress,
  waitForState,
  type Harness,
} from '../helpers/harness';
import { setTimeout as sleep } from 'node:timers/promises';

// Histories recorded from real batches by the 1.0 workflow are kept under test/fixtures/histories: the
// baseline. Replaying them with the current workflow code fails CI on any change that would break a batch
// already running; docs/upgrading.md says what such a change needs. The set is recorded only on request,
// when the baseline moves: RECORD_HISTORIES=1 npx vitest run --project integration test/integration/replay.test.ts
const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const BASELINE = '1.0';
const record = process.env.RECORD_HISTORIES === '1';

async function replay(json: string, name: string): Promise<void> {
  await Worker.runReplayHistory(
    replayOptions({ codePath: inject('workflowBundlePath') }),
    historyFromJSON(JSON.parse(json)),
    name,
  );
}

describe('recorded batch histories', () => {
  let h: Harness;
  const fresh = new Map<string, string>();

  beforeAll(async () => {
    // Scenarios covering every path of the workflow: expiry and refresh, continue-as-new, pause, cancel while waiting.
    h = await createHarness({ expireAfter: 45, missingIds: ['C-000010'], faultRate: 0.05 });
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const { path: file } = await h.clientFile(160, { groupSize: 40 });
      const retry = { initialIntervalMs: 20, maximumIntervalMs: 50 };
      const a = await h.startBatch(file, {
        batchId: `replay-expiry-${Date.now()}`,
        options: { concurrency: 3, eventBudget: 600, pageSize: 30, retry },
      });
      const refresher = operatorRefreshes(h, a);
      await resultOf(a);
      await refresher.stop();

      const b = await h.startBatch(file, {
        batchId: `replay-pause-cancel-${Date.now()}`,
        options: { concurrency: 2, retry },
      });
      await waitForProgress(b, (p) => p.processed >= 10);
      await b.signal(pauseSignal);
      await waitForState(b, 'paused');
      await b.signal(resumeSignal);
      await waitForState(b, 'waiting-for-token');
      await b.cancel();
      await resultOf(b);

      // A source that is not the file the batch started over: the batch pauses, then is cancelled.
      const files = await startFileServer(h.dir);
      const c = await h.startBatch(`${files.origin}/${path.basename(file)}`, {
        batchId: `replay-changed-source-${Date.now()}`,
        source: {
          path: `${files.origin}/${path.basename(file)}`,
          format: 'seed-json',
          version: { size: 1, etag: '"recorded-at-start"' },
        },
        total: 160,
      });
      await waitForState(c, 'paused');
      await c.cancel();
      await resultOf(c);
      await files.close();

      // A batch whose results store is not the worker's: the worker refuses its clients and the batch pauses.
      const d = await h.startBatch(file, {
        batchId: `replay-store-mismatch-${Date.now()}`,
        store: {
          id: 'a-store-no-worker-here-writes-to',
          kind: 'postgres',
          host: 'db.example',
          port: 5432,
          database: 'results',
        },
        total: 160,
        options: { concurrency: 2 },
      });
      await waitForState(d, 'paused');
      // A person's refresh through the Update while the batch is not waiting: recorded as an accepted Update.
      expect(
        (await d.executeUpdate(refreshTokenUpdate, { args: [{ sealedToken: h.seal(h.api.issueToken()) }] })).message,
      ).toBe('the batch was not waiting; token replaced; it is paused: run `clientsync resume ' + d.workflowId + '`');
      await d.cancel();
      await resultOf(d);

      /** A batch without a token of its own, run by a worker whose token provider is `provider`. */
      const withProvider = async (name: string, source: string, provider: TokenProvider) =>
        (await h.worker({ taskQueue: `${h.taskQueue}-${name}`, tokenProvider: provider })).runUntil(async () => {
          const input = batchInputFor(source, h.api.baseUrl, '', { batchId: `replay-${name}-${Date.now()}` });
          const options = { concurrency: 2, retry, autoRefreshMinIntervalMs: 0 };
          const handle = await startBatchWorkflow(
            h.client,
            { ...input, sealedToken: undefined, options },
            `${h.taskQueue}-${name}`,
          );
          await resultOf(handle);
          return handle;
        });
      // Tokens from the workers' provider: the batch's first, one before each end, one after each expiry.
      const e = await withProvider('auto-refresh', (await h.clientFile(80)).path, {
        name: 'the fake API',
        issue: async () => ({ token: h.api.issueToken(), expiresAt: Date.now() + 1500 }),
      });
      // A refresh still running when the batch ends: the first token is due for refresh at once, and the
      // provider takes 3 s over the next, longer than the 40 calls.
      let issued = 0;
      const slowProvider = {
        name: 'a slow provider',
        issue: async () => {
          if (issued++ > 0) await sleep(3000);
          return { token: h.api.issueToken(), expiresAt: Date.now() + (issued === 1 ? 1 : 60_000) };
        },
      };
      const m = await withProvider('end-after-refresh', (await h.clientFile(40)).path, slowProvider);

      // A failure past --max-failures pauses the batch; `set` lifts the threshold, resume completes it.
      const f = await h.startBatch((await h.clientFile(60)).path, {
        batchId: `replay-max-failures-${Date.now()}`,
        options: { concurrency: 2, retry, maxFailures: { count: 0 }, eventBudget: 5000 },
      });
      await waitForState(f, 'paused');
      await f.executeUpdate(setLimitsUpdate, { args: [{ maxFailures: null }] });
      await f.signal(resumeSignal);
      const refreshF = operatorRefreshes(h, f);
      await resultOf(f);
      await refreshF.stop();

      // --local-calls: waves of local activities, an expiry and a refresh, then continue-as-new.
      const g = await h.startBatch(file, {
        batchId: `replay-local-calls-${Date.now()}`,
        options: { concurrency: 4, retry, localCalls: true, eventBudget: 250, pageSize: 40 },
      });
      const refreshG = operatorRefreshes(h, g);
      await resultOf(g);
      await refreshG.stop();

      // --clients-per-activity: staggered chunks, an expiry and a refresh, the end shared out, continue-as-new.
      const k = await h.startBatch(file, {
        batchId: `replay-chunks-${Date.now()}`,
        options: { concurrency: 3, retry, clientsPerActivity: 5, eventBudget: 300, pageSize: 30 },
      });
      const refreshK = operatorRefreshes(h, k);
      await resultOf(k);
      await refreshK.stop();

      for (const batch of [a, b, c, d, e, f, g, k, m]) {
        let run = 0;
        const runs = [];
        for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${batch.workflowId}'` })) runs.push(wf);
        runs.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
        for (const wf of runs) {
          const history = await h.client.workflow.getHandle(batch.workflowId, wf.runId).fetchHistory();
          fresh.set(
            `${batch.workflowId.replace(/-\d+$/, '')}-run${++run}`,
            historyToJSON(temporal.api.history.v1.History.create(history)),
          );
        }
      }
    });
    if (record) {
      await rm(FIXTURES, { recursive: true, force: true });
      await mkdir(FIXTURES, { recursive: true });
      // Compact: the same history in about two thirds of the bytes.
      for (const [name, json] of fresh)
        await writeFile(path.join(FIXTURES, `${BASELINE}-${name}.json`), JSON.stringify(JSON.parse(json)));
    }
  });
  afterAll(async () => h?.close());

  it('records every scenario, with more than one run for the continue-as-new batch', () => {
    expect([...fresh.keys()].filter((k) => k.startsWith('replay-expiry')).length).toBeGreaterThan(1);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-pause-cancel'))).toBe(true);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-changed-source'))).toBe(true);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-store-mismatch'))).toBe(true);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-auto-refresh'))).toBe(true);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-max-failures'))).toBe(true);
    expect([...fresh.keys()].filter((k) => k.startsWith('replay-local-calls')).length).toBeGreaterThan(1);
    expect([...fresh.keys()].filter((k) => k.startsWith('replay-chunks')).length).toBeGreaterThan(1);
    expect([...fresh.keys()].some((k) => k.startsWith('replay-end-after-refresh'))).toBe(true);
  });

  it("replays this run's own histories", async () => {
    for (const [name, json] of fresh) await replay(json, name);
  });

  it('replays every history of the committed baseline, each on its own', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json'));
    expect(files.filter((f) => f.startsWith(`${BASELINE}-`)).length).toBeGreaterThanOrEqual(9);
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f,
        history: historyFromJSON(JSON.parse(await readFile(path.join(FIXTURES, f), 'utf8'))),
      })),
    );
    // One broken history does not hide the others: every one is replayed, and all failures are listed.
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      replayOptions({ codePath: inject('workflowBundlePath') }),
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('changing the workflow', () => {
  const oldHistory = () =>
    readFile(path.join(FIXTURES, `${BASELINE}-replay-expiry-run1.json`), 'utf8').then((j) =>
      historyFromJSON(JSON.parse(j)),
    );
  const bundle = async (file: string) => {
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
    return bundleWorkflowCode({
      workflowsPath: path.resolve(__dirname, '../fixtures/workflow-changes', file),
      logger: silent,
    });
  };

  it('fails replay when a change is not guarded, so CI catches it', async () => {
    const err = await Worker.runReplayHistory(replayOptions(await bundle('unpatched.ts')), await oldHistory()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error)?.name).toBe('DeterminismViolationError');
  });

  it('replays an old history when the same change is behind patched()', async () => {
    await Worker.runReplayHistory(replayOptions(await bundle('patched.ts')), await oldHistory());
  });
});
