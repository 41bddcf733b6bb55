import { writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientIds } from '../../src/fake-api/client-file';
import { pauseSignal, progressQuery, resumeSignal, tokenRefreshedSignal } from '../../src/contract/messages';
import {
  operatorRefreshes,
  createHarness,
  keyOf,
  resultOf,
  waitForProgress,
  waitForState,
  type Harness,
} from '../helpers/harness';

const noFailures = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

describe('signals to a running batch', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('loses no tokenRefreshed sent while the batch continues as new', async () => {
    h = await createHarness({ latencyMs: 20 });
    const { path: file, ids } = await h.clientFile(700);
    const worker = await h.worker();
    const { summary, sent } = await worker.runUntil(async () => {
      const handle = await h.startBatch(file, { options: { eventBudget: 500, pageSize: 40, concurrency: 8 } });
      let sent = 0;
      let done = false;
      const result = resultOf(handle).finally(() => (done = true));
      // Refresh every 50 ms for the whole batch, so many land while a run hands over to the next. Not back to back:
      // a hand-over fails while signals keep coming, and a flood faster than a workflow task on a loaded machine
      // would grow one run's history without end, which no person's refreshes do.
      while (!done) {
        try {
          await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
          sent++;
        } catch {
          break; // the batch completed between the check and the signal
        }
        await delay(50);
      }
      return { summary: await result, sent };
    });
    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    expect(summary.runs).toBeGreaterThan(3);
    expect(sent).toBeGreaterThan(20);
    expect(summary.tokenRefreshes).toBe(sent);
  });

  it('takes a refresh sent before any expiry, two refreshes in a row, and a refresh with an already expired token', async () => {
    h = await createHarness({ expireAfter: 60 });
    const { path: file, ids } = await h.clientFile(200);
    const worker = await h.worker();
    const summary = await worker.runUntil(async () => {
      const handle = await h.startBatch(file, { options: { concurrency: 2 } });
      await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) }); // before any expiry: just replaces
      await waitForState(handle, 'waiting-for-token');
      const stale = h.api.issueToken();
      h.api.expireAllTokens();
      await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(stale) }); // expired too: waits again
      await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.tokenRefreshes === 2);
      await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
      await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) }); // twice in a row
      const refresher = operatorRefreshes(h, handle);
      const s = await resultOf(handle);
      await refresher.stop();
      return s;
    });
    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 200, failed: 0 });
    expect(summary.tokenRefreshes).toBeGreaterThanOrEqual(4);
  });

  it("resumes from a tokenRefreshed with no token by re-reading the workers' own token source", async () => {
    h = await createHarness({ expireAfter: 40 });
    const tokenFile = path.join(h.dir, 'token');
    await writeFile(tokenFile, h.api.issueToken());
    const { path: file, ids } = await h.clientFile(100);
    const { readWorkerToken } = await import('../../src/token/token-provider');
    const worker = await h.worker({ ownToken: () => readWorkerToken({ API_TOKEN_FILE: tokenFile }) });
    const summary = await worker.runUntil(async () => {
      const handle = await h.startBatch(file, { sealedToken: undefined });
      for (let i = 0; i < 2; i++) {
        await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.tokenRefreshes === i);
        await writeFile(tokenFile, h.api.issueToken());
        await handle.signal(tokenRefreshedSignal); // no argument, as `temporal workflow signal --name tokenRefreshed` sends
      }
      return resultOf(handle);
    });
    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 100, tokenRefreshes: 2 });
  });

  it('pauses, resumes, and cancels with the summary so far, nothing half-recorded', async () => {
    h = await createHarness({ latencyMs: 10 });
    const { path: file, ids } = await h.clientFile(400);
    const worker = await h.worker();
    const summary = await worker.runUntil(async () => {
      const handle = await h.startBatch(file, { options: { concurrency: 4 } });
      await waitForProgress(handle, (p) => p.processed >= 50);
      await handle.signal(pauseSignal);
      const paused = await waitForProgress(handle, (p) => p.state === 'paused' && p.inFlight === 0);
      await delay(400);
      expect((await handle.query(progressQuery)).processed).toBe(paused.processed); // nothing starts while paused
      await handle.signal(resumeSignal);
      await waitForProgress(handle, (p) => p.state === 'running' && p.processed >= paused.processed + 50);
      await handle.cancel();
      return resultOf(handle);
    });
    expect(summary.state).toBe('cancelled');
    expect(summary.processed).toBeLessThan(400);
    expect(summary.succeeded).toBe(h.api.ledger.totalSuccesses);
    const check = h.api.ledger.check(ids);
    expect(check.repeated).toEqual([]);
    expect(check.missing.length).toBe(400 - summary.succeeded);
    expect(await h.store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: summary.succeeded, failed: 0 });
  });

  it('cancels cleanly while waiting for a token: the pending clients are neither failed nor called', async () => {
    h = await createHarness({ expireAfter: 30 });
    const { path: file } = await h.clientFile(100);
    const worker = await h.worker();
    const summary = await worker.runUntil(async () => {
      const handle = await h.startBatch(file, { options: { concurrency: 4 } });
      // Once the calls in flight at the expiry have come back, the resume point is the first client not called yet.
      const waiting = await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.inFlight === 0);
      expect(waiting.processed).toBe(30);
      expect(waiting.pending).toBeGreaterThanOrEqual(1);
      const firstUncalled = clientIds(100).find((id) => !h.api.ledger.clients.get(id)?.successes);
      expect(waiting.resumeFromClientId).toBe(firstUncalled);
      await handle.cancel();
      return resultOf(handle);
    });
    expect(summary).toMatchObject({ state: 'cancelled', succeeded: 30, failed: 0, processed: 30 });
  });
});
