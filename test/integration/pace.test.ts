import { afterEach, describe, expect, it } from 'vitest';
import { recordedOptions } from '../../src/contract/options';
import { busiestRate } from '../helpers/busiest-window';
import { expectEveryWorkerHeld, THROTTLED_ONCE } from '../helpers/pace-scenarios';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';

// The pace against a real fake API, through real workers: holds that stop every worker, and the limits an API
// states in its headers. The limits of a real rate limiter (nginx) and a long outage are in the faults tier.
describe('the pace of a batch, against the API', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('holds every worker for a Retry-After: no request reaches the API until it has passed', async () => {
    h = await createHarness(THROTTLED_ONCE);
    await expectEveryWorkerHeld(h);
  });

  it('keeps to the rate an API states in RateLimit-Policy, and says so in status', async () => {
    h = await createHarness({ rateLimitPolicy: '"default";q=50;w=1' });
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const { path, ids } = await h!.clientFile(400);
      const handle = await h!.startBatch(path, { options: recordedOptions({}) });
      const running = await waitForProgress(handle, (p) => p.processed > 100);
      expect(running.pace).toMatchObject({ apiRate: 50, rate: 50 });
      expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 400 });
      expect(h!.api.ledger.check(ids).missing).toEqual([]);
      // After the first answers stated the policy, no second has more than 50 calls (with a few for a timer's jitter).
      const times = [...h!.api.ledger.requestTimes].sort((x, y) => x - y);
      const from = times[0]! + 1000;
      const busiest = busiestRate(
        times.filter((t) => t >= from),
        1000,
      );
      expect(busiest).toBeLessThanOrEqual(53);
      expect((times.at(-1)! - from) / 1000).toBeGreaterThan(300 / 55); // and it did not run faster on average
    });
  });
});
