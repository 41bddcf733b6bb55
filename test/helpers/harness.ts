import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { openConnection } from '../../src/connection/connection';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { inject } from 'vitest';
import { clientIds, writeSeedClientFile, type ClientFileOptions } from '../../src/fake-api/client-file';
import { startFakeApi, type FakeApi, type FakeApiOptions } from '../../src/fake-api';
import { startBatchWorkflow } from '../../src/connection/start-batch';
import type { BatchInput, BatchState } from '../../src/contract/batch-input';
import { progressQuery, tokenRefreshedSignal } from '../../src/contract/messages';
import type { BatchProgress, BatchSummary } from '../../src/contract/progress';
import { SqliteResultsStore } from '../../src/store/sqlite-store';
import { batchKey, type BatchKey, type ResultsStore } from '../../src/store/results-store';
import { stateKey } from '../../src/contract/search-attributes';
import { sealToken } from '../../src/token/seal';
import { createWorker, type BatchWorkerOptions } from '../../src/worker/create-worker';
import { batchInputFor } from './batch-input';
import { setTimeout as sleep } from 'node:timers/promises';

// Worker state chatter drowns test output; errors still show.
Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * Everything one integration test needs: a client and worker connection to the shared dev server, a fake API, a store.
 */
export interface Harness {
  client: Client;
  connection: NativeConnection;
  address: string;
  taskQueue: string;
  api: FakeApi;
  store: ResultsStore;
  storePath: string;
  sealKey: Buffer;
  dir: string;
  seal(token: string): string;
  /** Writes a seed-format file of `count` clients; returns its path and ids. */
  clientFile(count: number, opts?: ClientFileOptions): Promise<{ path: string; ids: string[] }>;
  /** Starts a batch over `clientsPath` against the fake API with a fresh token. */
  startBatch(clientsPath: string, input?: Partial<BatchInput>): Promise<WorkflowHandle>;
  worker(opts?: Partial<BatchWorkerOptions>): Promise<Worker>;
  close(): Promise<void>;
}

export async function createHarness(
  apiOptions: FakeApiOptions = {},
  server: { address?: string } = {},
): Promise<Harness> {
  const address = server.address ?? inject('temporalAddress');
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-it-'));
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await openConnection({ address });
  const client = new Client({ connection: clientConnection });
  const api = await startFakeApi({ seed: 7, ...apiOptions });
  const storePath = path.join(dir, 'results.db');
  const store = SqliteResultsStore.open(storePath);
  const sealKey = randomBytes(32);
  const taskQueue = `test-${randomUUID()}`;
  const seal = (token: string) => sealToken(token, sealKey);

  return {
    client,
    connection,
    address,
    taskQueue,
    api,
    store,
    storePath,
    sealKey,
    dir,
    seal,
    async clientFile(count, opts) {
      const file = path.join(dir, `clients-${randomUUID().slice(0, 8)}.json`);
      await writeSeedClientFile(file, count, opts);
      return { path: file, ids: clientIds(count, opts?.idOf) };
    },
    async startBatch(clientsPath, input = {}) {
      return startBatchWorkflow(
        client,
        batchInputFor(clientsPath, api.baseUrl, seal(api.issueToken()), input),
        taskQueue,
      );
    },
    worker: (opts = {}) =>
      createWorker({
        connection,
        taskQueue,
        store,
        sealKey: async () => sealKey,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        tokenProvider: null, // whatever the developer's environment holds, a test's worker has a provider only when it says so
        ...opts,
      }),
    async close() {
      await api.close();
      await store.close();
      await clientConnection.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` until it holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * How often a test asks a batch for its progress. Each query is a query task for a worker and a round trip
 * through the server, which every test file shares: a tenth of a second keeps that load small.
 */
const POLL_MS = 100;

const ENDED: ReadonlySet<BatchState> = new Set(['completed', 'cancelled', 'failed']);

/** Polls the progress query until `predicate` holds. */
export async function waitForProgress(
  handle: WorkflowHandle,
  predicate: (p: BatchProgress) => boolean,
  timeoutMs = 60_000,
): Promise<BatchProgress> {
  const deadline = Date.now() + timeoutMs;
  let last: BatchProgress | undefined;
  let failing: { since: number; err: unknown } | undefined;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(progressQuery);
      failing = undefined;
      if (predicate(last)) return last;
      if (ENDED.has(last.state)) break; // an ended batch changes no more: say so now, not at the timeout
    } catch (err) {
      // Not started yet, or between runs of continue-as-new: that passes within seconds. A query that keeps
      // failing (the batch failed, no worker) is the test's real error, not a timeout.
      failing ??= { since: Date.now(), err };
      if (Date.now() - failing.since > 10_000) throw err;
    }
    await sleep(POLL_MS);
  }
  const why = last && ENDED.has(last.state) ? `the batch ended (${last.state})` : 'timed out';
  throw new Error(`${why} while waiting for batch progress; last: ${JSON.stringify(last)}`);
}

export const waitForState = (handle: WorkflowHandle, state: BatchState, timeoutMs?: number) =>
  waitForProgress(handle, (p) => p.state === state, timeoutMs);

/** The results store's key of a finished batch. */
export const keyOf = (summary: BatchSummary): BatchKey => batchKey(summary.batchId, summary.batchRun);

export async function resultOf(handle: WorkflowHandle): Promise<BatchSummary> {
  return (await handle.result()) as BatchSummary;
}

/**
 * Plays the operator: whenever the batch waits for a token, gets a new one from the fake API and sends
 * tokenRefreshed with it sealed. Returns how many refreshes it sent once `stop()` is called.
 */
export function operatorRefreshes(h: Harness, handle: WorkflowHandle): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    while (running) {
      try {
        const p = await handle.query(progressQuery);
        if (p.state === 'waiting-for-token') {
          await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
          sent++;
        }
        if (p.state === 'completed' || p.state === 'cancelled') return;
      } catch {
        // between runs of continue-as-new, or finished
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}

/** The histories of every run of a batch, oldest first. */
export async function runHistories(h: Harness, batchId: string): Promise<temporal.api.history.v1.IHistory[]> {
  const runs: { start: number; history: temporal.api.history.v1.IHistory }[] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) {
    runs.push({
      start: wf.startTime.getTime(),
      history: await h.client.workflow.getHandle(batchId, wf.runId).fetchHistory(),
    });
  }
  return runs.sort((a, b) => a.start - b.start).map((r) => r.history);
}

/** Event counts of every run of a batch, oldest first. */
export async function runHistoryLengths(h: Harness, batchId: string): Promise<number[]> {
  return (await runHistories(h, batchId)).map((history) => history.events?.length ?? 0);
}

/** Every value of ClientsyncState a run set: at its start (inherited from the run before) and in each upsert. */
export function publishedStates(history: temporal.api.history.v1.IHistory): string[] {
  const states: string[] = [];
  for (const e of history.events ?? []) {
    const fields = (e.workflowExecutionStartedEventAttributes ?? e.upsertWorkflowSearchAttributesEventAttributes)
      ?.searchAttributes?.indexedFields;
    const payload = fields?.[stateKey.name];
    if (payload) states.push(defaultPayloadConverter.fromPayload<string>(payload));
  }
  return states;
}
