import { afterEach, describe, expect, it } from 'vitest';
import { spawnInstalled, spawnWorker } from '../helpers/cli-process';
import { operatorRefreshes, createHarness, resultOf, type Harness } from '../helpers/harness';

describe("the worker's log", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('says each expected outcome in one line naming the batch and ClientId, with no stack trace', async () => {
    h = await createHarness({ expireAfter: 30, missingIds: ['C-000005'], faultRate: 0.1, seed: 3 });
    const { path, ids } = await h.clientFile(80);
    const worker = await spawnWorker(h);
    const handle = await h.startBatch(path, {
      options: { concurrency: 4, retry: { initialIntervalMs: 20, maximumIntervalMs: 50 } },
    });
    const refresher = operatorRefreshes(h, handle);
    const summary = await resultOf(handle);
    await refresher.stop();
    expect(summary).toMatchObject({ state: 'completed', succeeded: ids.length - 1, failed: 1 });

    const lines = worker.output().trimEnd().split('\n');
    const batch = `[batch ${handle.workflowId}]`;
    expect(
      lines.find((l) => /ClientId C-\d{6}: token expired \(TokenExpired:401\); the batch waits for a new one/.test(l)),
    ).toContain(batch);
    expect(lines.find((l) => l.includes('ClientId C-000005 failed: HTTP404:Not Found'))).toContain(batch);
    expect(lines.find((l) => /ClientId C-\d{6}: HTTP503:Service Unavailable on attempt 1; retrying/.test(l))).toContain(
      batch,
    );
    // Every line is one event: the worker's own lines, or "time LEVEL message"; no stack frames, no dumped objects.
    for (const line of lines) expect(line).toMatch(/^(clientsync worker |\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR) )/);
    expect(worker.output()).not.toMatch(/ApplicationFailure|\n\s+at /);
  });

  it('ends with one line, and no process left, when it fails after its runtime started: a store that refuses it', async () => {
    h = await createHarness();
    const worker = spawnInstalled(h, ['worker', '--task-queue', h.taskQueue], {
      RESULTS_DATABASE_URL: 'postgres://no_such_role@127.0.0.1:5432/postgres',
    });
    const ended = await Promise.race([
      worker.exited,
      new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000)),
    ]);
    if (ended === 'still running after 30 s') worker.child.kill('SIGKILL');
    expect(ended, worker.output()).toBe(1);
    expect(worker.output()).toMatch(/^clientsync: .*no_such_role.*\n$/);
  });
});
