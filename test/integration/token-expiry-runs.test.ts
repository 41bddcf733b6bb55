import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { replayOptions } from '../../src/worker/sinks';
import { expiringBatches } from '../helpers/expiring-batch';
import { publishedStates, runHistories } from '../helpers/harness';

// The same expiring batches, in chunks of clients, as local calls, and over several runs.
describe('a batch whose token expires every 90 successful calls, in chunks and runs', () => {
  const batches = expiringBatches();

  it('calls every client once with 10 clients per activity: an expiry mid-chunk leaves exactly the rest of the chunk pending', async () => {
    const { summary, refreshes, ids } = await batches.run({}, { concurrency: 4, clientsPerActivity: 10 });
    batches.expectEveryClientOnce(ids);
    expect(refreshes).toBe(6);
    batches.expectCompleted(summary);
  });

  it('calls every client once with --local-calls: one marker per client, named for it, and no activity tasks for the calls', async () => {
    const eventBudget = 700;
    const { summary, refreshes, ids, handle } = await batches.run(
      { faultRate: 0.05, latencyMs: 10 },
      { concurrency: 8, localCalls: true, eventBudget, pageSize: 100 },
    );
    batches.expectEveryClientOnce(ids);
    expect(batches.h.api.ledger.statusCounts['503']).toBeGreaterThan(10);
    expect(refreshes).toBe(6);
    batches.expectCompleted(summary, { tokenRefreshes: 6 });
    // A wave holds several rounds of 8 calls; the worker's gate still lets the API see 8 at most, and after
    // an expiry only the calls already in flight met it: the rest of the wave waited, pending, uncalled.
    expect(batches.h.api.ledger.maxInFlight).toBeLessThanOrEqual(8);
    expect(batches.h.api.ledger.maxInFlight).toBeGreaterThan(1);
    expect(batches.h.api.ledger.statusCounts['401']).toBeLessThanOrEqual(6 * 8);
    const histories = await runHistories(batches.h, handle.workflowId);
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
    const { summary, ids, handle } = await batches.run({}, { eventBudget, pageSize: 50 });
    batches.expectEveryClientOnce(ids);
    batches.expectCompleted(summary);
    const histories = await runHistories(batches.h, handle.workflowId);
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
