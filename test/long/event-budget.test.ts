import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, resultOf, runHistoryLengths, type Harness } from '../helpers/harness';

const noFailures = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

describe('the event budget', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('keeps every run under the default budget on a 3,000-client batch', async () => {
    h = await createHarness();
    const { path: file, ids } = await h.clientFile(3000, { groupSize: 1000 });
    const worker = await h.worker();
    const summary = await worker.runUntil(async () =>
      resultOf(await h.startBatch(file, { options: { concurrency: 16 } })),
    );
    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    const lengths = await runHistoryLengths(h, summary.batchId);
    expect(lengths.length).toBe(summary.runs);
    expect(summary.runs).toBeGreaterThan(1);
    for (const n of lengths) expect(n).toBeLessThan(5000);
  });
});
