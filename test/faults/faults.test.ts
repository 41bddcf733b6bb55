import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/fake-api/random';
import { progressQuery } from '../../src/contract/messages';
import type { BatchSummary } from '../../src/contract/progress';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { spawnWorker } from '../helpers/cli-process';
import { operatorRefreshes, createHarness, keyOf, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { freePort } from '../helpers/ports';
import { setTimeout as sleep } from 'node:timers/promises';

// Each fault ends with the ledger check: every client succeeded at least once and none is missing; a success
// was repeated only where a crash made it unavoidable, then with the same Idempotency-Key; the summary and
// the results store agree with the ledger.

let h: Harness | undefined;
let ownServer: DevServer | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await ownServer?.stop();
  ownServer = undefined;
});

async function expectLedgerAgrees(harness: Harness, ids: string[], summary: BatchSummary, maxRepeats: number) {
  const check = harness.api.ledger.check(ids);
  expect(check.missing).toEqual([]);
  expect(check.unexpected).toEqual([]);
  expect(check.repeatedWithOtherKey).toEqual([]);
  expect(check.repeated.length).toBeLessThanOrEqual(maxRepeats);
  expect(summary).toMatchObject({ state: 'completed', processed: ids.length, succeeded: ids.length, failed: 0 });
  expect(await harness.store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: ids.length, failed: 0 });
}

describe('faults a batch survives', () => {
  it('the worker SIGKILLed three times at random points of a 3,000-client batch', async () => {
    h = await createHarness({ latencyMs: 5, jitterMs: 5 });
    const { path: file, ids } = await h.clientFile(3000, { groupSize: 500 });
    const handle = await h.startBatch(file, { options: { concurrency: 16, callTimeoutMs: 1000 } });
    const random = seededRandom(2026);
    const points = [0, 1, 2].map((i) => Math.floor(300 + i * 850 + random() * 700)).sort((a, b) => a - b);
    for (const at of points) {
      const w = await spawnWorker(h);
      await waitForProgress(handle, (p) => p.processed >= at, 180_000);
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await spawnWorker(h);
    await expectLedgerAgrees(h, ids, await resultOf(handle), 3 * 16);
  });

  it('the Temporal server SIGKILLed and restarted on the same SQLite file mid-batch, workers left running', async () => {
    const port = await freePort();
    const dbFile = path.join(tmpdir(), `clientsync-fault-${port}.db`);
    ownServer = await startDevServer({ port, uiPort: await freePort(), dbFile, headless: true });
    h = await createHarness({ latencyMs: 5 }, { address: ownServer.address });
    const { path: file, ids } = await h.clientFile(1500);
    const handle = await h.startBatch(file, { options: { concurrency: 8, callTimeoutMs: 1000 } });
    await spawnWorker(h);
    await spawnWorker(h);
    await waitForProgress(handle, (p) => p.processed >= 400, 120_000);
    ownServer.child.kill('SIGKILL');
    await new Promise((r) => ownServer!.child.once('exit', r));
    await sleep(2000);
    ownServer = await startDevServer({ port, uiPort: await freePort(), dbFile, headless: true });
    await expectLedgerAgrees(h, ids, await resultOf(handle), 8);
  });

  it('two workers on one task queue, one of them SIGKILLed', async () => {
    h = await createHarness({ latencyMs: 10 });
    const { path: file, ids } = await h.clientFile(1500);
    const handle = await h.startBatch(file, { options: { concurrency: 16, callTimeoutMs: 1000 } });
    const a = await spawnWorker(h);
    await spawnWorker(h);
    await waitForProgress(handle, (p) => p.processed >= 500, 120_000);
    a.child.kill('SIGKILL');
    await expectLedgerAgrees(h, ids, await resultOf(handle), 16);
  });

  it('all at once: the token expires every 100 calls, 10% of calls get 503, 1% answer slower than the timeout', async () => {
    h = await createHarness({ expireAfter: 100, faultRate: 0.1, slowRate: 0.01, slowMs: 1500 });
    const { path: file, ids } = await h.clientFile(1200);
    const handle = await h.startBatch(file, {
      options: {
        concurrency: 8,
        callTimeoutMs: 500,
        retry: { maximumAttempts: 10, initialIntervalMs: 50, maximumIntervalMs: 200 },
      },
    });
    await spawnWorker(h);
    const refresher = operatorRefreshes(h, handle);
    const summary = await resultOf(handle);
    const refreshes = await refresher.stop();
    expect(refreshes).toBeGreaterThanOrEqual(11);
    expect(h.api.ledger.statusCounts['503']).toBeGreaterThan(50);
    // A slow answer counts as a timeout at the caller, so the fake API records no success for it: no repeats.
    await expectLedgerAgrees(h, ids, summary, 0);
  });

  it('the API down (connection refused) for 30 s: the batch waits out its retries and fails no client', async () => {
    h = await createHarness({ latencyMs: 5 });
    const { path: file, ids } = await h.clientFile(600);
    const handle: WorkflowHandle = await h.startBatch(file, { options: { concurrency: 8 } });
    await spawnWorker(h);
    await waitForProgress(handle, (p) => p.processed >= 150);
    await h.api.goDown();
    await sleep(30_000); // the outage
    const during = await handle.query(progressQuery);
    await h.api.comeBack();
    // Through 30 s of refused connections the batch kept retrying: still running, no client failed.
    expect(during).toMatchObject({ state: 'running', failed: 0 });
    expect(during.processed).toBeLessThan(600);
    const summary = await resultOf(handle);
    expect(summary).toMatchObject({ state: 'completed', failed: 0, succeeded: 600 });
    await expectLedgerAgrees(h, ids, summary, 0);
  });
});
