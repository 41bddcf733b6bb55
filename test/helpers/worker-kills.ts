import { afterEach, expect } from 'vitest';
import { createHarness, keyOf, resultOf, waitForProgress, type Harness } from './harness';
import { spawnWorker } from './cli-process';

export const KILLS_TITLE =
  'completes every client after SIGKILLs with %i client(s) per activity (local calls: %s); repeats only where a kill fell mid-call, with the same Idempotency-Key';

/** Registers a file's hooks, and returns a batch of 600 clients whose workers are SIGKILLed twice on the way. */
export function killedWorkers() {
  let h: Harness | undefined;
  afterEach(async () => h?.close());
  return async (clientsPerActivity: number, localCalls: boolean) => {
    h = await createHarness({ latencyMs: 15, jitterMs: 10 });
    const { path, ids } = await h.clientFile(600, { groupSize: 100 });
    const handle = await h.startBatch(path, {
      options: { concurrency: 8, callTimeoutMs: 1000, pageSize: 50, clientsPerActivity, localCalls },
    });
    for (const at of [120, 330]) {
      const w = await spawnWorker(h);
      await waitForProgress(handle, (p) => p.processed >= at, 120_000);
      w.child.kill('SIGKILL');
      expect(await w.exited).toBe('SIGKILL');
    }
    await spawnWorker(h);
    const summary = await resultOf(handle);

    const check = h.api.ledger.check(ids);
    expect(check.missing).toEqual([]);
    expect(check.unexpected).toEqual([]);
    expect(check.repeatedWithOtherKey).toEqual([]);
    // Only calls in flight at a kill (at most `concurrency` per kill) may have been repeated: a chunk resumes
    // from its last heartbeat, so it too repeats at most the one call it was making. Local calls whose markers
    // a kill lost run again on the next worker, and the store answers them without a call.
    expect(check.repeated.length).toBeLessThanOrEqual(2 * 8);
    expect(summary).toMatchObject({ state: 'completed', processed: 600, succeeded: 600, failed: 0 });
    expect(await h.store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: 600, failed: 0 });
  };
}
