import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { spawnWorker } from '../helpers/cli-process';

describe('a worker told to stop', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('shuts down gracefully on SIGTERM: in-flight calls finish and the batch goes on elsewhere', async () => {
    h = await createHarness({ latencyMs: 30 });
    const { path, ids } = await h.clientFile(200);
    const handle = await h.startBatch(path, { options: { concurrency: 4, callTimeoutMs: 1000 } });
    const first = await spawnWorker(h);
    await waitForProgress(handle, (p) => p.processed >= 40);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('clientsync worker stopped.');
    await spawnWorker(h);
    const summary = await resultOf(handle);
    // A graceful stop abandons no call, so nothing is repeated at all.
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 200 });
  });
});
