import path from 'node:path';
import { Client } from '@temporalio/client';
import { openConnection } from '../../src/connection/connection';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { memoryIO } from '../../src/cli/io';
import { failures, type FailureView } from '../../src/cli/commands/failures/failures';
import { results } from '../../src/cli/commands/results/results';
import { startBatchWorkflow } from '../../src/connection/start-batch';
import type { BatchInput } from '../../src/contract/batch-input';
import type { BatchSummary } from '../../src/contract/progress';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { createWorker } from '../../src/worker/create-worker';
import { createHarness, type Harness } from '../helpers/harness';
import { freePort } from '../helpers/ports';

// A batch id outlives Temporal's memory of it: the server's database is deleted, retention expires, or a
// second cluster is used, while the results store stays. A new batch under that id is a new batch.
describe('a batch id reused after Temporal forgot it', () => {
  let h: Harness;
  let second: DevServer | undefined;
  const savedStoreUrl = process.env.RESULTS_DATABASE_URL;
  beforeAll(async () => {
    h = await createHarness({ latencyMs: 1 });
    process.env.RESULTS_DATABASE_URL = h.storePath; // the CLI's results/failures read the harness's store
  });
  afterAll(async () => {
    if (savedStoreUrl === undefined) delete process.env.RESULTS_DATABASE_URL;
    else process.env.RESULTS_DATABASE_URL = savedStoreUrl;
    await second?.stop();
    await h.close();
  });

  it('calls every client again, and results and failures read the newest batch unless told another', async () => {
    const count = 400;
    const { path: file, ids } = await h.clientFile(count);
    const batchId = `tp1-${Date.now().toString(36)}`;
    const missing = ids.slice(0, 3);
    h.api.configure({ missingIds: missing });

    // 1. The first batch, on the run's dev server, to completion: 3 clients fail with 404.
    const first = await h
      .worker()
      .then((w) =>
        w.runUntil(
          async () =>
            (await (
              await h.startBatch(file, { batchId, options: { clientsPerActivity: 20, concurrency: 4 } })
            ).result()) as BatchSummary,
        ),
      );
    expect(first).toMatchObject({ state: 'completed', succeeded: count - 3, failed: 3 });

    // 2. A new server with a new database: Temporal no longer knows the id; the store still does.
    second = await startDevServer({
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: path.join(h.dir, 'second-temporal.db'),
      headless: true,
    });
    h.api.configure({ missingIds: [] });
    const before = new Map(ids.map((id) => [id, h.api.ledger.clients.get(id)?.successes ?? 0]));

    // 3. The same id over the same file: every client is called, none answered from the first batch's record.
    const nc = await NativeConnection.connect({ address: second.address });
    const conn = await openConnection({ address: second.address });
    try {
      const worker = await createWorker({
        connection: nc,
        taskQueue: h.taskQueue,
        store: h.store,
        sealKey: async () => h.sealKey,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      });
      const input: BatchInput = {
        batchId,
        source: { path: file, format: 'seed-json' },
        apiUrl: h.api.baseUrl,
        sealedToken: h.seal(h.api.issueToken()),
        options: { clientsPerActivity: 20, concurrency: 4 },
      };
      const again = await worker.runUntil(
        async () =>
          (await (
            await startBatchWorkflow(new Client({ connection: conn }), input, h.taskQueue)
          ).result()) as BatchSummary,
      );
      expect(again).toMatchObject({ state: 'completed', succeeded: count, failed: 0 });
    } finally {
      await conn.close();
      await nc.close();
    }
    const calledAgain = ids.filter((id) => (h.api.ledger.clients.get(id)?.successes ?? 0) === before.get(id)! + 1);
    expect(calledAgain.length).toBe(count);
    // Each batch sent its own Idempotency-Key, so an API that keeps keys does not answer the new one from the old.
    const keys = h.api.ledger.clients.get(ids[0]!)!.successKeys;
    expect(new Set(keys).size).toBe(keys.length);

    // results and failures read the newest batch; --run points them at the older one.
    const io = memoryIO();
    expect(await failures(batchId, {}, io)).toEqual([]);
    expect(io.errors.join('\n')).toMatch(/2 batches have used the id .*; showing the newest.*--run/);
    const runs = await h.store.batchesUnderId(batchId);
    expect(runs).toHaveLength(2);
    const [newer, older] = runs.map((r) => r.firstRunId) as [string, string];
    const oldFailures = (await failures(batchId, { run: older }, memoryIO())) as FailureView[];
    expect(oldFailures.map((f) => f.clientId)).toEqual(missing);
    // Run ids are time-ordered (UUIDv7), so a short prefix can match both: that is refused, naming both.
    let common = 0;
    while (newer[common] === older[common]) common++;
    await expect(failures(batchId, { run: older.slice(0, common) }, memoryIO())).rejects.toThrow(
      /several batches under id .* pass one of/,
    );
    const out = path.join(h.dir, 'results.jsonl');
    expect(await results(batchId, { out, format: 'jsonl' }, memoryIO())).toBe(count);
    expect(await results(batchId, { out, format: 'jsonl', run: older }, memoryIO())).toBe(count - 3);
  });
});
