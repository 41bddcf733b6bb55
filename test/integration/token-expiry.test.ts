import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { FakeApiOptions } from '../../src/fake-api';
import { replayOptions } from '../../src/worker/sinks';
import type { BatchOptionsInput } from '../../src/contract/options';
import {
  operatorRefreshes,
  createHarness,
  publishedStates,
  resultOf,
  runHistories,
  type Harness,
} from '../helpers/harness';

const FAST_RETRY = { maximumAttempts: 10, initialIntervalMs: 50, maximumIntervalMs: 200, backoffCoefficient: 2 };

describe('a batch whose token expires every 150 successful calls', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  async function runExpiringBatch(api: FakeApiOptions, options: BatchOptionsInput) {
    h = await createHarness({ expireAfter: 150, ...api });
    const { path, ids } = await h.clientFile(1000, { groupSize: 300 });
    const worker = await h.worker();
    return worker.runUntil(async () => {
      const handle = await h.startBatch(path, { options: { retry: FAST_RETRY, ...options } });
      const refresher = operatorRefreshes(h, handle);
      const summary = await resultOf(handle);
      const refreshes = await refresher.stop();
      return { summary, refreshes, ids, handle };
    });
  }

  function expectEveryClientOnce(ids: string[]) {
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
  }

  it('waits for tokenRefreshed each time and ends with every client called successfully exactly once', async () => {
    const { summary, refreshes, ids } = await runExpiringBatch({}, {});
    expectEveryClientOnce(ids);
    // 1000 successes at 150 per token: 6 refreshes, each answered by exactly one signal.
    expect(refreshes).toBe(6);
    expect(summary).toMatchObject({
      state: 'completed',
      total: 1000,
      processed: 1000,
      succeeded: 1000,
      failed: 0,
      tokenRefreshes: 6,
    });
  });

  it('does the same with concurrency 8', async () => {
    const { summary, ids } = await runExpiringBatch({}, { concurrency: 8 });
    expectEveryClientOnce(ids);
    expect(summary).toMatchObject({ state: 'completed', processed: 1000, succeeded: 1000, failed: 0 });
  });

  it('does the same when 5% of calls get 503', async () => {
    const { summary, ids } = await runExpiringBatch({ faultRate: 0.05 }, { concurrency: 4 });
    expectEveryClientOnce(ids);
    expect(h.api.ledger.statusCounts['503']).toBeGreaterThan(20);
    expect(summary).toMatchObject({ state: 'completed', processed: 1000, succeeded: 1000, failed: 0 });
  });

  it('does the same with 10 clients per activity: an expiry mid-chunk leaves exactly the rest of the chunk pending', async () => {
    const { summary, refreshes, ids } = await runExpiringBatch({}, { concurrency: 4, clientsPerActivity: 10 });
    expectEveryClientOnce(ids);
    expect(refreshes).toBe(6);
    expect(summary).toMatchObject({ state: 'completed', processed: 1000, succeeded: 1000, failed: 0 });
  });

  it('does the same with --local-calls: one marker per client, named for it, and no activity tasks for the calls', async () => {
    const eventBudget = 700;
    const { summary, refreshes, ids, handle } = await runExpiringBatch(
      { faultRate: 0.05, latencyMs: 10 },
      { concurrency: 8, localCalls: true, eventBudget, pageSize: 100 },
    );
    expectEveryClientOnce(ids);
    expect(h.api.ledger.statusCounts['503']).toBeGreaterThan(20);
    expect(refreshes).toBe(6);
    expect(summary).toMatchObject({
      state: 'completed',
      processed: 1000,
      succeeded: 1000,
      failed: 0,
      tokenRefreshes: 6,
    });
    // A wave holds several rounds of 8 calls; the worker's gate still lets the API see 8 at most, and after
    // an expiry only the calls already in flight met it: the rest of the wave waited, pending, uncalled.
    expect(h.api.ledger.maxInFlight).toBeLessThanOrEqual(8);
    expect(h.api.ledger.maxInFlight).toBeGreaterThan(1);
    expect(h.api.ledger.statusCounts['401']).toBeLessThanOrEqual(6 * 8);
    const histories = await runHistories(h, handle.workflowId);
    // Local calls resolve inside a workflow task, not through history events: each run must still replay.
    for (const history of histories)
      await Worker.runReplayHistory(replayOptions({ codePath: inject('workflowBundlePath') }), history);
    const events = histories.map((history) => history.events ?? []);
    expect(events.length).toBeGreaterThan(1); // continued as new, each run within its budget
    for (const run of events) expect(run.length).toBeLessThan(eventBudget);
    const all = events.flat();
    const scheduled = all.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'callClient');
    expect(scheduled).toEqual([]);
    // A marker per call, success or expiry, each with its ClientId as its summary in Temporal Web.
    const named = new Set(
      all
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity' && e.userMetadata?.summary)
        .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!)),
    );
    expect(ids.every((id) => named.has(`ClientId ${id}`))).toBe(true);
    expect(all.length / ids.length).toBeLessThan(2);
  });

  it('continues as new several times within its event budget', async () => {
    const eventBudget = 700;
    const { summary, ids, handle } = await runExpiringBatch({}, { eventBudget, pageSize: 50 });
    expectEveryClientOnce(ids);
    expect(summary).toMatchObject({ state: 'completed', processed: 1000, succeeded: 1000 });
    const histories = await runHistories(h, handle.workflowId);
    expect(histories.length).toBeGreaterThan(3);
    expect(summary.runs).toBe(histories.length);
    for (const history of histories) expect(history.events?.length).toBeLessThan(eventBudget);
    // A hand-over to the next run is not an ending: Temporal Web and `list` never see "failed" along the way.
    const states = histories.flatMap(publishedStates);
    expect(states).toContain('running');
    expect(states).toContain('waiting-for-token');
    expect(states.filter((s) => s !== 'running' && s !== 'waiting-for-token')).toEqual(['completed']);
  });
});
