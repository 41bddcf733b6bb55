import { randomUUID } from 'node:crypto';
import { Client, defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { openConnection } from '../../src/connection/connection';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CallClientInput, CallClientsInput, RefreshTokenInput } from '../../src/activities';
import { waitingSinceKey } from '../../src/contract/search-attributes';
import type { Alert } from '../../src/contract/alert';
import { startBatchWorkflow } from '../../src/connection/start-batch';
import type { BatchInput } from '../../src/contract/batch-input';
import {
  pauseSignal,
  progressQuery,
  resumeSignal,
  setLimitsUpdate,
  tokenRefreshedSignal,
} from '../../src/contract/messages';
import type { BatchProgress, BatchSummary } from '../../src/contract/progress';
import { replayOptions, workerSinks } from '../../src/worker/sinks';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { entries, mockActivities, type MockScript } from './mock-activities';
import { setTimeout as sleep } from 'node:timers/promises';

// The batch workflow against the real dev server, with its activities mocked: its bookkeeping (resume
// order, continue-as-new, pause and cancel, duplicates, a refusing store) in seconds, without an API or a store.
// An ERROR from the SDK (a sink the worker lacks, a workflow task that failed) fails the test that caused it.
const errors: string[] = [];
Runtime.install({
  logger: new DefaultLogger('ERROR', (entry) => {
    errors.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`);
    console.error(entry.message, entry.meta);
  }),
});
afterEach(() => {
  const logged = errors.splice(0);
  expect(logged, 'the SDK logged errors').toEqual([]);
});

let client: Client;
let connection: NativeConnection;
beforeAll(async () => {
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection: await openConnection({ address: inject('temporalAddress') }) });
});
afterAll(async () => {
  await client.connection.close();
  await connection.close();
});

/** Runs a worker with mocked activities over `count` clients while `fn` drives a batch started with `options`. */
async function withBatch<T>(
  list: ReturnType<typeof entries>,
  script: MockScript,
  options: BatchInput['options'],
  fn: (
    handle: WorkflowHandle,
    called: string[],
    firstRunId: string,
    started: string[],
    refreshes: RefreshTokenInput[],
    alerts: Alert[],
    mock: ReturnType<typeof mockActivities>,
  ) => Promise<T>,
  input: Partial<BatchInput> = {},
  starter: Client = client,
): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const mock = mockActivities(list, script);
  const workflowBundle = { codePath: inject('workflowBundlePath') };
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle,
    activities: mock.activities,
    sinks: workerSinks(),
  });
  return worker.runUntil(async () => {
    const batch: BatchInput = {
      batchId: `wf-${randomUUID()}`,
      source: { path: 'mock.json', format: 'jsonl' },
      apiUrl: 'http://api.invalid/',
      options,
      ...input,
    };
    const handle = await startBatchWorkflow(starter, batch, taskQueue);
    return fn(handle, mock.called, handle.firstExecutionRunId, mock.started, mock.refreshes, mock.alerts, mock);
  });
}

/**
 * The inputs of the `type` activities the batch's current run scheduled, in the workflow's order, in groups
 * split at each tokenRefreshed signal. The order the mock sees them in is the order the worker got them.
 */
async function scheduled<T>(handle: WorkflowHandle, type: 'callClient' | 'callClients'): Promise<T[][]> {
  const groups: T[][] = [[]];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    if (event.workflowExecutionSignaledEventAttributes?.signalName === tokenRefreshedSignal.name) groups.push([]);
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name === type)
      groups.at(-1)!.push(defaultPayloadConverter.fromPayload<T>(attributes.input!.payloads![0]!));
  }
  return groups;
}
const chunkSizes = async (handle: WorkflowHandle) =>
  (await scheduled<CallClientsInput>(handle, 'callClients')).map((g) => g.map((c) => c.clients.length));

async function until(handle: WorkflowHandle, predicate: (p: BatchProgress) => boolean): Promise<BatchProgress> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const p = await handle.query(progressQuery).catch(() => undefined); // between runs of continue-as-new
    if (p && predicate(p)) return p;
    if (Date.now() > deadline) throw new Error(`no such progress within 20 s; last: ${JSON.stringify(p)}`);
    await sleep(20);
  }
}

describe('the batch workflow, activities mocked', () => {
  it('waits at an expiry, then resumes first at exactly the clients that met it, in source order', async () => {
    const list = entries(40);
    await withBatch(
      list,
      { expireAfter: 10, callMs: 5 },
      { concurrency: 4, pageSize: 8 },
      async (handle, called, _run, started) => {
        // Once the calls in flight at the expiry are back (and the refresh found no provider), the pending list is
        // final.
        const waiting = await until(
          handle,
          (p) =>
            p.state === 'waiting-for-token' && p.inFlight === 0 && !!p.lastTokenError?.includes('no automatic refresh'),
        );
        expect(called.length).toBe(10);
        // Calls start in source order, 4 at a time, so the started ones are a prefix of the file. Which of them
        // met the expiry depends on which answered first: the ones that did not succeed.
        const pending = waiting.pending;
        expect(pending).toBeGreaterThanOrEqual(1);
        expect(pending).toBeLessThanOrEqual(4);
        expect(new Set(started)).toEqual(new Set(list.slice(0, 10 + pending).map((c) => c.id)));
        const metExpiry = list.filter((c) => !called.includes(c.id)).slice(0, pending);
        // The calls that met the expiry wait in pending, the earliest first; nothing new starts while waiting.
        expect(waiting.resumeFromClientId).toBe(metExpiry[0]!.id);
        await handle.signal(tokenRefreshedSignal, {});
        await until(handle, (p) => p.state === 'waiting-for-token' && p.tokenRefreshes === 1);
        // After the refresh the workflow schedules the pending clients first, in source order.
        const afterRefresh = (await scheduled<CallClientInput>(handle, 'callClient'))[1]!;
        expect(afterRefresh.slice(0, pending).map((c) => c.client.id)).toEqual(metExpiry.map((c) => c.id));
        await handle.signal(tokenRefreshedSignal, {});
        await until(handle, (p) => p.state === 'waiting-for-token' && p.tokenRefreshes === 2);
        await handle.signal(tokenRefreshedSignal, {});
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({
          state: 'completed',
          processed: 40,
          succeeded: 40,
          failed: 0,
          tokenRefreshes: 3,
        });
        expect([...called].sort()).toEqual(list.map((c) => c.id)); // each once
      },
    );
  });

  it('carries counters, refreshes, the store key and the token generation across continue-as-new', async () => {
    const list = entries(150, 2);
    await withBatch(
      list,
      { expireAfter: 60 },
      { concurrency: 3, eventBudget: 500, pageSize: 20 },
      async (handle, called, firstRunId) => {
        const refresher = (async () => {
          for (let sent = 0; sent < 2; sent++) {
            await until(handle, (p) => p.state === 'waiting-for-token');
            await handle.signal(tokenRefreshedSignal, {});
            await until(handle, (p) => p.state !== 'waiting-for-token');
          }
        })();
        const summary = (await handle.result()) as BatchSummary;
        await refresher;
        expect(summary.runs).toBeGreaterThan(1);
        expect(summary).toMatchObject({
          state: 'completed',
          processed: 152,
          succeeded: 150,
          duplicates: 2,
          failed: 0,
          tokenRefreshes: 2,
          total: 152,
        });
        // The store key is the first run's id in every run.
        expect(summary.batchRun).toBe(firstRunId);
        expect([...called].sort()).toEqual(list.slice(0, 150).map((c) => c.id)); // concurrency 3, expiries: still each once
      },
    );
  });

  it('pauses (no call starts), resumes, and ends cancelled with the calls in flight recorded', async () => {
    const list = entries(400);
    await withBatch(list, { callMs: 10 }, { concurrency: 2 }, async (handle, called) => {
      await until(handle, (p) => p.processed >= 10);
      await handle.signal(pauseSignal);
      const paused = await until(handle, (p) => p.state === 'paused' && p.inFlight === 0);
      await sleep(300);
      expect(called.length).toBe(paused.processed); // nothing started while paused
      await handle.signal(resumeSignal);
      await until(handle, (p) => p.state === 'running' && p.processed >= paused.processed + 10);
      await handle.cancel();
      const summary = (await handle.result()) as BatchSummary;
      expect(summary.state).toBe('cancelled');
      expect(summary.processed).toBe(called.length);
      expect(summary.processed).toBeLessThan(400);
    });
  });

  it('staggers chunks that start together, at the start and after a wait for a token, and calls each client once', async () => {
    const list = entries(120);
    const options = { concurrency: 4, clientsPerActivity: 8, pageSize: 40 };
    await withBatch(list, { expireAfter: 70, callMs: 2 }, options, async (handle, called) => {
      await until(
        handle,
        (p) =>
          p.state === 'waiting-for-token' && p.inFlight === 0 && !!p.lastTokenError?.includes('no automatic refresh'),
      );
      // Started together, chunks are sized by their place, so they end one after another, not together.
      expect((await chunkSizes(handle))[0]!.slice(0, 4)).toEqual([2, 4, 6, 8]);
      await handle.signal(tokenRefreshedSignal, {});
      const summary = (await handle.result()) as BatchSummary;
      const [beforeWait, afterWait] = await chunkSizes(handle);
      expect(afterWait![0]).toBe(2); // every slot starts again at once: staggered again
      expect(Math.max(...beforeWait!, ...afterWait!)).toBe(8);
      expect(summary).toMatchObject({ state: 'completed', succeeded: 120, tokenRefreshes: 1 });
      expect([...called].sort()).toEqual(list.map((c) => c.id)); // each once
    });
  });

  it('shares out the end of the source over the slots, so a small batch uses all of them', async () => {
    const list = entries(12);
    await withBatch(list, { callMs: 5 }, { concurrency: 4, clientsPerActivity: 8 }, async (handle, called) => {
      expect(await handle.result()).toMatchObject({ state: 'completed', succeeded: 12 });
      const [sizes] = await chunkSizes(handle);
      expect(sizes!.slice(0, 4)).toEqual([2, 3, 2, 2]); // staggered, and no more than a share of what is left: not 8 and 4
      expect(sizes!.reduce((a, b) => a + b)).toBe(12);
      expect([...called].sort()).toEqual(list.map((c) => c.id));
    });
  });

  it('reads at least a page in every run, even when the finest split of one would pass the event budget', async () => {
    const list = entries(300);
    // A page of 100 in chunks of 25 may be split into 100 chunks, 600 events: more than the whole budget.
    const options = { concurrency: 20, clientsPerActivity: 25, pageSize: 100, eventBudget: 200 };
    await withBatch(list, {}, options, async (handle, called) => {
      const summary = (await handle.result()) as BatchSummary;
      expect(summary).toMatchObject({ state: 'completed', succeeded: 300 });
      expect(summary.runs).toBeGreaterThanOrEqual(3);
      expect([...called].sort()).toEqual(list.map((c) => c.id));
    });
  });

  it.each([1, 5])(
    'pauses when a worker refuses the clients for its store, and calls them after resume (%i per activity)',
    async (k) => {
      const list = entries(20);
      await withBatch(
        list,
        { storeMismatches: 1 },
        { concurrency: 1, clientsPerActivity: k },
        async (handle, called) => {
          const paused = await until(handle, (p) => p.state === 'paused');
          expect(paused.pausedBecause).toBe(
            "a worker on mock writes results to SQLite /elsewhere.db on mock (store 00000000), not to this batch's store",
          );
          expect(paused.resumeFromClientId).toBe('C-000001');
          await handle.signal(resumeSignal);
          const summary = (await handle.result()) as BatchSummary;
          expect(summary).toMatchObject({ state: 'completed', succeeded: 20 });
          expect(called).toEqual(list.map((c) => c.id));
        },
      );
    },
  );
});

describe('automatic token refresh, activities mocked', () => {
  it('refreshes at each expiry without a person and resumes at exactly the clients that met it', async () => {
    const list = entries(40);
    const options = { concurrency: 4, pageSize: 8, autoRefreshMinIntervalMs: 0 };
    await withBatch(
      list,
      { expireAfter: 10, callMs: 5, provider: {} },
      options,
      async (handle, called, _run, started, refreshes) => {
        const summary = (await handle.result()) as BatchSummary;
        // The batch had no token: one at the start, then one per expiry (after 10, 20 and 30 successes).
        expect(refreshes.map((r) => r.why)).toEqual(['initial', 'expired', 'expired', 'expired']);
        expect(summary).toMatchObject({
          state: 'completed',
          succeeded: 40,
          failed: 0,
          tokenRefreshes: 4,
          automaticRefreshes: 4,
        });
        expect([...called].sort()).toEqual(list.map((c) => c.id)); // each once
        // Each refresh after an expiry hands the expired token back, so the provider can refuse the same one.
        expect(refreshes[1]!.current).toBe('sealed-1');
        // Only the calls in flight at each of the 3 expiries (at most `concurrency`) ran twice.
        expect(started.length).toBeLessThanOrEqual(40 + 3 * options.concurrency);
      },
    );
  });

  it('refreshes a token with a known lifetime before it ends, so no call meets an expiry', async () => {
    const list = entries(60);
    await withBatch(
      list,
      { callMs: 50, provider: { lifetimeMs: 1000 } },
      { concurrency: 1 },
      async (handle, _called, _run, _started, refreshes) => {
        const running = await until(handle, (p) => p.automaticRefreshes! >= 2);
        expect(Date.parse(running.tokenExpiresAt!)).toBeGreaterThan(Date.now() - 1000);
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({ state: 'completed', succeeded: 60 });
        expect(refreshes[0]!.why).toBe('initial');
        expect(refreshes.slice(1).every((r) => r.why === 'proactive')).toBe(true);
        expect(refreshes.length).toBeGreaterThanOrEqual(3); // ~3 s of calls, a token every ~0.9 s
      },
    );
  });

  it('ends after a refresh still running at the end, and counts its token', async () => {
    const list = entries(10);
    // The first token lives 600 ms, so its refresh starts at ~540 ms of a ~1 s batch and answers at ~5.5 s: long
    // after the last call, even on a busy machine, where the calls take seconds.
    const provider = { lifetimeMs: 600, slowFrom: 2, slowMs: 5000 };
    await withBatch(
      list,
      { callMs: 100, provider },
      { concurrency: 1 },
      async (handle, called, _run, _started, refreshes) => {
        const summary = (await handle.result()) as BatchSummary;
        expect(called).toEqual(list.map((c) => c.id));
        expect(refreshes.map((r) => r.why)).toEqual(['initial', 'proactive']);
        expect(summary).toMatchObject({ state: 'completed', succeeded: 10, tokenRefreshes: 2, automaticRefreshes: 2 });
      },
    );
  });

  it("waits for a person, saying why, when the provider refuses; a person's token resumes it", async () => {
    const list = entries(30);
    await withBatch(
      list,
      { expireAfter: 10, provider: { refusesFrom: 2 } },
      { concurrency: 2, autoRefreshMinIntervalMs: 0 },
      async (handle, called) => {
        const waiting = await until(
          handle,
          (p) => p.state === 'waiting-for-token' && !!p.lastTokenError?.includes('automatic refresh failed'),
        );
        expect(waiting.lastTokenError).toBe(
          'Session already expired.; automatic refresh failed: the authorization server refused: invalid_client',
        );
        expect(called.length).toBe(10);
        await handle.signal(tokenRefreshedSignal, {});
        await until(
          handle,
          (p) => p.tokenRefreshes === 2 && p.state === 'waiting-for-token' && !!p.lastTokenError?.includes('refused'),
        );
        await handle.signal(tokenRefreshedSignal, {});
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({ state: 'completed', succeeded: 30, tokenRefreshes: 3, automaticRefreshes: 1 });
      },
    );
  });

  it('stops after 3 new tokens in a row that meet an expiry before any call succeeds', async () => {
    const list = entries(20);
    await withBatch(
      list,
      { provider: { deadFrom: 1 } },
      { concurrency: 1, autoRefreshMinIntervalMs: 0 },
      async (handle, called, _run, _started, refreshes) => {
        const waiting = await until(
          handle,
          (p) => p.state === 'waiting-for-token' && !!p.lastTokenError?.includes('stopped'),
        );
        expect(waiting.lastTokenError).toMatch(
          /automatic refresh stopped: 3 new tokens in a row met an expiry before any call succeeded$/,
        );
        expect(refreshes.length).toBe(3); // the initial token and two after expiries, every one dead
        expect(called).toEqual([]);
        await handle.cancel();
      },
    );
  });

  it('spaces refreshes after an expiry by the minimum interval', async () => {
    const list = entries(12);
    await withBatch(
      list,
      { expireAfter: 4, provider: {} },
      { concurrency: 1, autoRefreshMinIntervalMs: 1500 },
      async (handle, _called, _run, _started, refreshes) => {
        const waiting = await until(handle, (p) => !!p.lastTokenError?.includes('automatic refresh at'));
        expect(waiting.lastTokenError).toMatch(/at most one per 1\.5 s after an expiry/);
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({ state: 'completed', succeeded: 12, automaticRefreshes: 3 });
        expect(refreshes.map((r) => r.why)).toEqual(['initial', 'expired', 'expired']);
        expect(Date.parse(summary.endedAt) - Date.parse(summary.startedAt)).toBeGreaterThanOrEqual(1500);
      },
    );
  });
});

describe('alerts for a person, activities mocked', () => {
  const webUrl = 'http://localhost:8233/namespaces/default/workflows/x';

  it('alerts when the batch needs a person, reminds while it waits, marks ClientsyncWaitingSince, and alerts at the end', async () => {
    const list = entries(20);
    const options = { concurrency: 1, notifyEveryMs: 700 };
    await withBatch(
      list,
      { expireAfter: 10 },
      options,
      async (handle, _called, _run, _started, _refreshes, alerts) => {
        const waiting = await until(handle, (p) => p.state === 'waiting-for-token' && p.waitingForPersonSince !== null);
        await until(handle, () => alerts.filter((a) => a.event === 'still-waiting').length >= 2);
        const since = (await handle.describe()).typedSearchAttributes.get(waitingSinceKey);
        expect(since?.toISOString()).toBe(waiting.waitingForPersonSince);
        expect(alerts[0]).toMatchObject({
          event: 'waiting-for-person',
          batchId: handle.workflowId,
          state: 'waiting-for-token',
          reason: 'Session already expired.; no automatic refresh: the workers have no token provider',
          resumeFromClientId: 'C-000011',
          processed: 10,
          total: 20,
          webUrl,
          resumeCommand: `clientsync refresh-token ${handle.workflowId}`,
        });
        expect(alerts[0]!.text).toBe(
          `clientsync batch ${handle.workflowId} is waiting for a person: Session already expired.; no automatic refresh: the workers have no token provider. ` +
            `10 of 20 processed (10 succeeded, 0 failed); it resumes at ClientId C-000011. Fix that, then run \`clientsync refresh-token ${handle.workflowId}\`. <${webUrl}|Temporal Web>`,
        );
        await handle.signal(tokenRefreshedSignal, {});
        const summary = (await handle.result()) as BatchSummary;
        expect(summary.state).toBe('completed');
        const reminders = alerts.filter((a) => a.event === 'still-waiting').length;
        expect(alerts.map((a) => a.event)).toEqual([
          'waiting-for-person',
          ...Array<string>(reminders).fill('still-waiting'),
          'ended',
        ]);
        expect(alerts.at(-1)).toMatchObject({ state: 'completed', processed: 20, reason: null, resumeCommand: null });
        expect((await handle.describe()).typedSearchAttributes.get(waitingSinceKey)).toBeUndefined();
      },
      { webUrl },
    );
  });

  it.each([
    ['cancel', 'cancelled'],
    ['fail', 'failed'],
  ] as const)('ends the batch after the wait timeout with --on-wait-timeout %s', async (action, state) => {
    const list = entries(10);
    await withBatch(
      list,
      { expireAfter: 4 },
      { concurrency: 1, waitTimeoutMs: 1000, onWaitTimeout: action },
      async (handle, called, _run, _started, _refreshes, alerts) => {
        const outcome = await (handle.result() as Promise<BatchSummary>).then(
          (s) => s.state,
          () => 'failed',
        );
        expect(outcome).toBe(state);
        expect(called.length).toBe(4);
        expect(alerts.map((a) => a.event)).toEqual(['waiting-for-person', 'wait-timeout', 'ended']);
        expect(alerts[1]!.text).toMatch(action === 'cancel' ? /; the batch is cancelled\./ : /; the batch fails\./);
        expect(alerts[2]).toMatchObject({
          state,
          reason: expect.stringMatching(/^waited for a person longer than 1 s/),
        });
      },
    );
  });

  it('alerts when the batch pauses itself, not when an operator pauses it', async () => {
    const list = entries(10);
    await withBatch(
      list,
      { storeMismatches: 1 },
      { concurrency: 1 },
      async (handle, _called, _run, _started, _refreshes, alerts) => {
        await until(handle, (p) => p.state === 'paused');
        await handle.signal(resumeSignal);
        await until(handle, (p) => p.state === 'running' && p.processed > 2);
        await handle.signal(pauseSignal);
        await until(handle, (p) => p.state === 'paused');
        await handle.signal(resumeSignal);
        await handle.result();
        expect(alerts.map((a) => a.event)).toEqual(['waiting-for-person', 'ended']);
        expect(alerts[0]).toMatchObject({ state: 'paused', resumeCommand: `clientsync resume ${handle.workflowId}` });
        expect(alerts[0]!.reason).toMatch(/^a worker on mock writes results to/);
      },
    );
  });
});

describe('a failure threshold and limits changed while the batch runs, activities mocked', () => {
  it('pauses when failed clients exceed --max-failures N, alerts, and goes on after `set` raises it and a resume', async () => {
    const list = entries(40);
    await withBatch(
      list,
      { failEvery: 4 },
      { concurrency: 1, maxFailures: { count: 3 } },
      async (handle, _called, _run, _started, _refreshes, alerts) => {
        const paused = await until(handle, (p) => p.state === 'paused');
        expect(paused).toMatchObject({ failed: 4, processed: 16 }); // strictly more than 3
        expect(paused.pausedBecause).toBe(
          `4 clients failed, more than --max-failures 3 (or raise it: \`clientsync set ${handle.workflowId} --max-failures …\`)`,
        );
        await until(handle, () => alerts.length > 0); // the alert is an activity of its own
        expect(alerts[0]).toMatchObject({ event: 'waiting-for-person', state: 'paused' });
        const reply = await handle.executeUpdate(setLimitsUpdate, { args: [{ maxFailures: { count: 100 } }] });
        expect(reply.message).toBe(
          `Batch ${handle.workflowId}: concurrency 1, no rate limit, max failures 100, then pause (was concurrency 1, no rate limit, max failures 3, then pause)`,
        );
        await handle.signal(resumeSignal);
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({ state: 'completed', processed: 40, failed: 10 });
      },
    );
  });

  it('applies a percentage once --min-sample clients are processed, and fails the batch with --on-max-failures fail', async () => {
    const list = entries(40);
    const options = { concurrency: 1, maxFailures: { percent: 30 }, minSample: 20, onMaxFailures: 'fail' as const };
    await withBatch(list, { failEvery: 2 }, options, async (handle, called) => {
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeDefined();
      expect(called.length).toBe(20); // 50% failed from the start, but only the 20th client makes the sample
      const p = await handle.query(progressQuery);
      expect(p).toMatchObject({ state: 'failed', processed: 20, failed: 10 });
    });
  });

  it('changes concurrency through `set`, recorded in history and shown in progress; refuses a bad value', async () => {
    const list = entries(200);
    await withBatch(list, { callMs: 20 }, { concurrency: 1 }, async (handle) => {
      await until(handle, (p) => p.processed >= 5);
      await expect(handle.executeUpdate(setLimitsUpdate, { args: [{ concurrency: 0 }] })).rejects.toThrow();
      await handle.executeUpdate(setLimitsUpdate, { args: [{ concurrency: 8, rps: 0 }] });
      const p = await until(handle, (x) => x.inFlight > 1);
      expect(p.limits).toMatchObject({ concurrency: 8, rps: 0 });
      expect(p.inFlight).toBeLessThanOrEqual(8);
      await handle.result();
      const events = (await handle.fetchHistory()).events ?? [];
      const accepted = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      expect(accepted).toHaveLength(1); // the refused one never entered history
    });
  });
});

describe('a batch started by a traced client, activities mocked', () => {
  it('runs on a worker that does not trace as any batch does: its spans dropped without an SDK error, its history replayable', async () => {
    const traced = new Client({
      connection: client.connection,
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    const list = entries(30);
    await withBatch(
      list,
      { callMs: 2 },
      { concurrency: 4, pageSize: 8 },
      async (handle, called) => {
        expect(await handle.result()).toMatchObject({ state: 'completed', succeeded: 30 });
        expect([...called].sort()).toEqual(list.map((c) => c.id));
        const history = await handle.fetchHistory();
        expect(Object.keys(history.events![0]!.workflowExecutionStartedEventAttributes!.header!.fields!)).toContain(
          '_tracer-data',
        );
        await Worker.runReplayHistory(replayOptions({ codePath: inject('workflowBundlePath') }), history);
      },
      {},
      traced,
    );
  });
});

describe('the pace of a batch, activities mocked', () => {
  const paced = (options: BatchInput['options'] = {}): BatchInput['options'] => ({
    adaptive: 'on',
    breaker: 'on',
    clientsPerActivity: 'auto',
    ...options,
  });
  const inputsOf = async (handle: WorkflowHandle) => (await scheduled<CallClientsInput>(handle, 'callClients')).flat();

  it('starts modestly, grows to its ceiling while the answers are healthy, and calls each client once', async () => {
    const list = entries(400);
    await withBatch(list, { callMs: 2 }, paced({ concurrency: 12 }), async (handle, called) => {
      const running = await until(handle, (p) => p.pace?.concurrency === 12);
      expect(running.pace).toMatchObject({ adaptive: true, concurrencyCeiling: 12, rateCeiling: null, rate: null });
      expect(await handle.result()).toMatchObject({ state: 'completed', succeeded: 400, failed: 0 });
      expect([...called].sort()).toEqual(list.map((c) => c.id));
      const chunks = await inputsOf(handle);
      expect(chunks.every((c) => c.pace?.epoch === 0)).toBe(true);
      // Auto chunks: small while slow start grows, about a second of calls after.
      expect(chunks[0]!.clients.length).toBeLessThan(Math.max(...chunks.map((c) => c.clients.length)));
    });
  });

  it('calls only its canary first, retries included, pauses once those have ended, and calls the rest after a resume', async () => {
    const list = entries(300);
    const api = { throttle: { calls: [3], retryAfterMs: 300 } };
    await withBatch(
      list,
      { callMs: 2, api },
      paced({ concurrency: 8, canary: 7, pageSize: 50 }),
      async (handle, called) => {
        const paused = await until(handle, (p) => p.state === 'paused');
        expect(paused.pausedBecause).toBe('the canary has ended: its first 7 clients are called');
        expect(paused).toMatchObject({ processed: 7, succeeded: 7, inFlight: 0 });
        const canary = list.slice(0, 7).map((c) => c.id);
        expect([...new Set(called)].sort()).toEqual(canary);
        await sleep(500);
        expect(new Set(called).size).toBe(7); // nothing else starts while it is paused
        await handle.signal(resumeSignal);
        expect(await handle.result()).toMatchObject({ state: 'completed', succeeded: 300, failed: 0 });
        expect([...new Set(called)].sort()).toEqual(list.map((c) => c.id));
        expect(called.slice(0, 7).every((id) => canary.includes(id))).toBe(true);
      },
    );
  });

  it('cuts its rate at a 429 and holds every call for a Retry-After', async () => {
    const list = entries(150);
    const api = { throttle: { calls: [40], retryAfterMs: 1500 } };
    await withBatch(
      list,
      { callMs: 2, api },
      paced({ concurrency: 4 }),
      async (handle, called, _run, _started, _refreshes, _alerts, mock) => {
        const holding = await until(handle, (p) => p.pace?.state === 'holding');
        expect(holding.pace).toMatchObject({ reason: 'Retry-After' });
        expect(await handle.result()).toMatchObject({ state: 'completed', succeeded: 150, failed: 0 });
        expect([...called].sort()).toEqual(list.map((c) => c.id));
        const throttledAt = mock.callTimes[39]!;
        const during = mock.callTimes.filter((t) => t > throttledAt && t < throttledAt + 1500);
        expect(during).toEqual([]); // nothing at all until the Retry-After has passed
        const after = (await inputsOf(handle)).filter((c) => (c.pace?.epoch ?? 0) > 0);
        expect(after.length).toBeGreaterThan(0); // chunks after the cut run at the new pace
        expect(after.every((c) => c.paceMs !== undefined)).toBe(true);
      },
    );
  });

  it('stops sending while the API does not answer, probes it, and resumes with no client failed', async () => {
    const list = entries(200);
    const api = { outage: { fromCall: 60, forMs: 1500 } };
    const options = paced({ concurrency: 4, notifyEveryMs: 500 });
    await withBatch(
      list,
      { callMs: 2, api },
      options,
      async (handle, called, _run, _started, _refreshes, alerts, mock) => {
        const down = await until(handle, (p) => p.pace?.state === 'api-unavailable');
        expect(down.pace?.apiUnavailableSince).not.toBeNull();
        expect(down.pace?.probeEverySeconds).toBeGreaterThanOrEqual(1);
        const summary = (await handle.result()) as BatchSummary;
        expect(summary).toMatchObject({ state: 'completed', succeeded: 200, failed: 0 });
        expect([...called].sort()).toEqual(list.map((c) => c.id));
        // While it was open, only the probe called: one call at a time.
        const probing = mock.callTimes.filter((t) => t > mock.probes[0]! && t <= mock.probes.at(-1)!);
        expect(probing.length).toBe(mock.probes.length - 1);
        expect(alerts.map((a) => a.event)).toEqual(['api-unavailable', 'api-back', 'ended']);
      },
    );
  });

  it('hands a flaky client back for a later retry, and fails one only when its own retries run out', async () => {
    const list = entries(60);
    const api = { flaky: { 'C-000005': 2, 'C-000007': 99 } };
    const options = paced({ concurrency: 2, retry: { maximumAttempts: 4 } });
    await withBatch(list, { callMs: 1, api }, options, async (handle) => {
      const summary = (await handle.result()) as BatchSummary;
      expect(summary).toMatchObject({ state: 'completed', processed: 60, succeeded: 59, failed: 1 });
      const retried = (await inputsOf(handle)).flatMap((c) =>
        c.clients.map((client, i) => [client.id, c.attempts?.[i] ?? 0] as const),
      );
      expect(retried.filter(([id]) => id === 'C-000005').map(([, a]) => a)).toEqual([0, 1, 2]);
      expect(retried.filter(([id]) => id === 'C-000007').map(([, a]) => a)).toEqual([0, 1, 2, 3]);
    });
  });
});
