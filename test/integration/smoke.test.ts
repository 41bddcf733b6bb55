import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, keyOf, resultOf, type Harness } from '../helpers/harness';

describe('a batch on the real dev server', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ latencyMs: 2 });
  });
  afterEach(async () => h.close());

  it('calls every client exactly once and returns a summary that agrees with the ledger', async () => {
    const { path, ids } = await h.clientFile(120, { groupSize: 50 });
    const worker = await h.worker();
    const summary = await worker.runUntil(async () =>
      resultOf(await h.startBatch(path, { options: { pageSize: 25 } })),
    );
    const check = h.api.ledger.check(ids);
    expect(check).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({
      state: 'completed',
      total: 120,
      processed: 120,
      succeeded: 120,
      failed: 0,
      runs: 1,
    });
    expect(h.api.ledger.totalSuccesses).toBe(120);
    expect(await h.store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: 120, failed: 0 });
  });
});
