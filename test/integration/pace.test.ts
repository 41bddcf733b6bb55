import { afterEach, describe, expect, it } from 'vitest';
import { pauseSignal, resumeSignal } from '../../src/contract/messages';
import { recordedOptions } from '../../src/contract/options';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import { busiestRate } from '../helpers/busiest-window';
import { spawnCli, spawnWorker, untilOutput } from '../helpers/cli-process';
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
    h = await createHarness({ latencyMs: 10, throttleRequests: [150], retryAfterSeconds: 5 });
    // Two worker processes, as on two hosts, each with chunks of the batch that would go on calling for a second.
    // The batch's workflow runs on one that takes a single call at a time, so most chunks go to the other.
    await untilOutput(
      spawnCli(h, ['worker', '--task-queue', h.taskQueue, '--max-concurrent-calls', '1']),
      WORKER_READY,
    );
    const { path, ids } = await h.clientFile(500);
    const handle = await h.startBatch(path, { options: recordedOptions({ concurrency: 4, clientsPerActivity: 100 }) });
    await handle.signal(pauseSignal);
    await waitForProgress(handle, (p) => p.state === 'paused');
    await spawnWorker(h);
    await handle.signal(resumeSignal);
    const holding = await waitForProgress(handle, (p) => p.pace?.state === 'holding');
    expect(holding.pace).toMatchObject({ reason: 'Retry-After' });
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 500, failed: 0 });
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    const times = h.api.ledger.requestTimes;
    const throttledAt = times[149]!;
    // Requests already in flight as the 429 went out arrive within their latency; the other worker sees the hold
    // at its next look at the store, within 100 ms. After that, nothing until the Retry-After has passed.
    expect(times.filter((t) => t > throttledAt + 250 && t < throttledAt + 5000)).toEqual([]);
    expect(times.filter((t) => t >= throttledAt + 5000).length).toBeGreaterThan(0);
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
