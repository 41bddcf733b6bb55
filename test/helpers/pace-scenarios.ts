import { expect } from 'vitest';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import type { BatchInput } from '../../src/contract/batch-input';
import { pauseSignal, resumeSignal } from '../../src/contract/messages';
import { recordedOptions } from '../../src/contract/options';
import { spawnCli, spawnWorker, untilOutput } from './cli-process';
import { resultOf, waitForProgress, type Harness } from './harness';

/** The API of the hold scenario: its 150th request is answered 429 with a Retry-After of 5 s. */
export const THROTTLED_ONCE = { latencyMs: 10, throttleRequests: [150], retryAfterSeconds: 5 };

/**
 * A Retry-After holds every worker of the batch: no request reaches the API until it has passed. Two worker
 * processes, as on two hosts, each with chunks that would go on calling for a second; the batch's workflow runs
 * on one that takes a single call at a time, so most chunks go to the other. `env` gives both their results store.
 */
export async function expectEveryWorkerHeld(
  h: Harness,
  env: NodeJS.ProcessEnv = {},
  input: Partial<BatchInput> = {},
  timeoutMs = 60_000,
): Promise<void> {
  await untilOutput(
    spawnCli(h, ['worker', '--task-queue', h.taskQueue, '--max-concurrent-calls', '1'], env),
    WORKER_READY,
  );
  const { path, ids } = await h.clientFile(500);
  const options = recordedOptions({ concurrency: 4, clientsPerActivity: 100 });
  const handle = await h.startBatch(path, { options, ...input });
  // Paused until the second worker is up, so that both take chunks.
  await handle.signal(pauseSignal);
  await waitForProgress(handle, (p) => p.state === 'paused', timeoutMs);
  await spawnWorker(h, env);
  await handle.signal(resumeSignal);
  const holding = await waitForProgress(handle, (p) => p.pace?.state === 'holding', timeoutMs);
  expect(holding.pace).toMatchObject({ reason: 'Retry-After' });
  expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 500, failed: 0 });
  expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
  const times = h.api.ledger.requestTimes;
  const throttledAt = times[149]!;
  // Requests already in flight as the 429 went out arrive within their latency; the other worker sees the hold
  // at its next look at the store, within 100 ms. After that, nothing until the Retry-After has passed.
  expect(times.filter((t) => t > throttledAt + 250 && t < throttledAt + 5000)).toEqual([]);
  expect(times.filter((t) => t >= throttledAt + 5000).length).toBeGreaterThan(0);
}

/** Starts a batch through the CLI, as a user does, with its token in the environment; returns when `start` has. */
export async function startPaced(h: Harness, apiUrl: string, file: string, id: string, flags: string[]): Promise<void> {
  const env = { API_TOKEN: h.api.issueToken() };
  const cmd = spawnCli(
    h,
    ['start', '--clients', file, '--api-url', apiUrl, '--id', id, '--task-queue', h.taskQueue, ...flags],
    env,
  );
  expect(await cmd.exited, cmd.output()).toBe(0);
}
