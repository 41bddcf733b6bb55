import { describe, expect, it } from 'vitest';
import { expiringBatches } from '../helpers/expiring-batch';

describe('a batch whose token expires every 90 successful calls', () => {
  const batches = expiringBatches();

  it('waits for tokenRefreshed each time and ends with every client called successfully exactly once', async () => {
    const { summary, refreshes, ids } = await batches.run({}, {});
    batches.expectEveryClientOnce(ids);
    // 600 successes at 90 per token: 6 refreshes, each answered by exactly one signal.
    expect(refreshes).toBe(6);
    batches.expectCompleted(summary, { tokenRefreshes: 6 });
  });

  it('does the same with concurrency 8', async () => {
    const { summary, ids } = await batches.run({}, { concurrency: 8 });
    batches.expectEveryClientOnce(ids);
    batches.expectCompleted(summary);
  });

  it('does the same when 5% of calls get 503', async () => {
    const { summary, ids } = await batches.run({ faultRate: 0.05 }, { concurrency: 4 });
    batches.expectEveryClientOnce(ids);
    expect(batches.h.api.ledger.statusCounts['503']).toBeGreaterThan(10);
    batches.expectCompleted(summary);
  });
});
