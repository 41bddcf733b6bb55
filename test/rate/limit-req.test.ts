import { afterEach, describe, expect, it } from 'vitest';
import { spawnWorker } from '../helpers/cli-process';
import { createHarness, resultOf, type Harness } from '../helpers/harness';
import { startNginx, type Nginx } from '../helpers/nginx';
import { startPaced } from '../helpers/pace-scenarios';

// The pace's rate, measured: this tier runs alone, before the fault tier, because a rate measured beside other
// scenarios is theirs as much as the pace's (0.82 of nginx's rate beside three fault files, 0.89 alone).
describe('the pace against a real rate limiter', () => {
  let h: Harness | undefined;
  let nginx: Nginx | undefined;
  afterEach(async () => {
    await nginx?.close();
    await h?.close();
    nginx = h = undefined;
  });

  it("finds nginx's limit_req rate by itself: 4,000 clients at ≥ 0.85 of it, under 5% answered 429, none failed", async () => {
    h = await createHarness();
    // limit_req at 100/s, with a burst of 5 as its documentation shows it; no Retry-After.
    nginx = await startNginx(h.api.origin, { rate: 100, burst: 5 });
    await spawnWorker(h);
    const { path, ids } = await h.clientFile(4000);
    await startPaced(h, nginx.baseUrl, path, 'behind-nginx', ['--concurrency', '32']);
    const summary = await resultOf(h.client.workflow.getHandle('behind-nginx'));
    // The pace's own span, from the first call answered to the last: the start of a process is the bench's to
    // measure (bench/README.md), not this test's.
    const times = h.api.ledger.successTimes;
    const ratio = (4000 - 1) / ((Math.max(...times) - Math.min(...times)) / 1000) / 100;
    expect(summary).toMatchObject({ state: 'completed', succeeded: 4000, failed: 0 });
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    const requests = await nginx.requests();
    const throttled = requests.filter((r) => r.status === 429).length / requests.length;
    console.log(
      `behind nginx at 100/s: ${ratio.toFixed(2)} of its rate, ${(throttled * 100).toFixed(1)}% of ${requests.length} requests answered 429`,
    );
    expect(ratio).toBeGreaterThanOrEqual(0.85);
    expect(throttled).toBeLessThan(0.05);
  });
});
