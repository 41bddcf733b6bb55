import { afterEach, expect } from 'vitest';
import type { FakeApiOptions } from '../../src/fake-api';
import type { BatchOptionsInput } from '../../src/contract/options';
import type { BatchSummary } from '../../src/contract/progress';
import { operatorRefreshes, createHarness, resultOf, type Harness } from './harness';

const FAST_RETRY = { maximumAttempts: 10, initialIntervalMs: 50, maximumIntervalMs: 200, backoffCoefficient: 2 };

/** Clients in each batch, and successful calls per token: 6 expiries, the last at most 60 clients before the end. */
const EXPIRING = { clients: 600, callsPerToken: 90 };

/**
 * Registers a file's hooks for batches of 600 clients whose token expires every 90 successful calls, each refreshed
 * by an operator's signal; the harness of each test is closed after it.
 */
export function expiringBatches() {
  let h: Harness | undefined;
  afterEach(async () => h?.close());
  return {
    get h(): Harness {
      if (!h) throw new Error('no batch has run in this test');
      return h;
    },
    async run(api: FakeApiOptions, options: BatchOptionsInput) {
      const harness = (h = await createHarness({ expireAfter: EXPIRING.callsPerToken, ...api }));
      const { path, ids } = await harness.clientFile(EXPIRING.clients, { groupSize: 200 });
      const worker = await harness.worker();
      return worker.runUntil(async () => {
        const handle = await harness.startBatch(path, { options: { retry: FAST_RETRY, ...options } });
        const refresher = operatorRefreshes(harness, handle);
        const summary = await resultOf(handle);
        const refreshes = await refresher.stop();
        return { summary, refreshes, ids, handle };
      });
    },
    /** The API's ledger: each client succeeded exactly once, with one key. */
    expectEveryClientOnce(ids: string[]) {
      expect(this.h.api.ledger.check(ids)).toEqual({
        missing: [],
        repeated: [],
        repeatedWithOtherKey: [],
        unexpected: [],
      });
    },
    /** The batch's own summary: all its clients succeeded, with what else the test names. */
    expectCompleted(summary: BatchSummary, also: Partial<BatchSummary> = {}) {
      expect(summary).toMatchObject({
        state: 'completed',
        total: EXPIRING.clients,
        processed: EXPIRING.clients,
        succeeded: EXPIRING.clients,
        failed: 0,
        ...also,
      });
    },
  };
}
