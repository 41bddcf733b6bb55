import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, beforeEach } from 'vitest';
import { memoryIO } from '../../src/cli/io';
import { batchInput } from '../../src/connection/batch-view';
import { retryFailed } from '../../src/cli/commands/retry-failed/retry-failed';
import type { ResultsStore } from '../../src/store/results-store';
import { createHarness, resultOf, type Harness } from '../helpers/harness';

let h: Harness;
const saved = { ...process.env };
beforeAll(async () => {
  h = await createHarness({ latencyMs: 1 });
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: h.address,
    CLIENTSYNC_HOME: path.join(h.dir, '.clientsync'),
    CLIENTSYNC_SEAL_KEY: h.sealKey.toString('base64'),
    RESULTS_DATABASE_URL: h.storePath,
    API_TOKEN: h.api.issueToken(),
  });
});
beforeEach(() => h.api.ledger.reset()); // the tests share one fake API
afterAll(async () => {
  process.env = saved;
  await h.close();
});

/** The harness's store, but every recordFailure throws, as a broken disk or database would. */
function storeThatCannotRecordFailures(store: ResultsStore): ResultsStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'recordFailure') return async () => Promise.reject(new Error('disk I/O error (simulated)'));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a call that fails past its own handling', () => {
  it('fails the batch, saying why, when a failed client cannot be recorded', async () => {
    // Before the fix the rejection went unhandled: the workflow task failed over and over and the batch hung.
    const { path: file } = await h.clientFile(3);
    h.api.configure({ faultRate: 1 });
    try {
      const worker = await h.worker({ store: storeThatCannotRecordFailures(h.store) });
      const err = await worker.runUntil(async () => {
        const handle = await h.startBatch(file, {
          options: { concurrency: 1, retry: { maximumAttempts: 2, initialIntervalMs: 10, maximumIntervalMs: 20 } },
        });
        const timeout = new Promise((_, reject) =>
          setTimeout(() => reject(new Error('the batch neither completed nor failed within 60 s')), 60_000),
        );
        return Promise.race([handle.result(), timeout]).then(
          () => undefined,
          (e: unknown) => e,
        );
      });
      expect(err).toBeInstanceOf(WorkflowFailedError);
      let cause = err as Error | undefined;
      const messages: string[] = [];
      for (; cause; cause = cause.cause as Error | undefined) messages.push(cause.message);
      expect(messages.join(' | ')).toMatch(/disk I\/O error \(simulated\)/);
    } finally {
      h.api.configure({ faultRate: 0 });
    }
  });
});

describe('retry-failed', () => {
  it('redrives with every option of the original batch, reading the failed clients from the store, page by page', async () => {
    const { path: file, ids } = await h.clientFile(30);
    const missing = ids.filter((_, i) => i % 3 === 0); // 10 failures: three pages of 4 in the redrive
    h.api.configure({ missingIds: missing });
    const options = {
      concurrency: 3,
      pageSize: 4,
      callTimeoutMs: 4000,
      retry: { maximumAttempts: 3, initialIntervalMs: 50, maximumIntervalMs: 200, backoffCoefficient: 1.5 },
      eventBudget: 900,
      rps: 500,
      clientsPerActivity: 2,
      expiredRegex: 'Session already expired',
    };
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const original = await h.startBatch(file, { options });
      expect(await resultOf(original)).toMatchObject({ state: 'completed', failed: missing.length });
      const before = new Map(ids.map((id) => [id, h.api.ledger.clients.get(id)?.successes ?? 0]));
      h.api.configure({ missingIds: [] });
      const io = memoryIO();
      const { batchId } = await retryFailed(original.workflowId, { taskQueue: h.taskQueue }, io);
      const redrive = h.client.workflow.getHandle(batchId);
      expect(await resultOf(redrive)).toMatchObject({ state: 'completed', succeeded: missing.length, failed: 0 });
      const input = await batchInput(redrive);
      expect(input).toMatchObject({
        retryOf: original.workflowId,
        apiUrl: h.api.baseUrl,
        total: missing.length,
        options,
      });
      expect(input.source).toMatchObject({ format: 'redrive', redrive: { batchId: original.workflowId } });
      // Exactly the failed clients were called again, once each; nothing was written on this host.
      const calledAgain = ids.filter((id) => (h.api.ledger.clients.get(id)?.successes ?? 0) > before.get(id)!);
      expect(calledAgain).toEqual(missing);
      expect(existsSync(path.join(process.env.CLIENTSYNC_HOME!, 'redrive'))).toBe(false);
    });
  });
});
