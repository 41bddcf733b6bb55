import {
  QueryRejectedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import { UserError } from '../contract/errors';
import { connectClient } from './connection';
import { FINAL_STATES, type BatchInput } from '../contract/batch-input';
import { progressQuery } from '../contract/messages';
import type { BatchProgress, BatchSummary } from '../contract/progress';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BatchView {
  handle: WorkflowHandle;
  /** Whether the batch's workflow still runs: signals and Updates reach only a running batch. */
  running: boolean;
  progress: BatchProgress;
}

/** The batch's handle and progress; an unknown id is a UserError that says how to find the right one. */
export async function getBatch(client: Client, batchId: string): Promise<BatchView> {
  const handle = client.workflow.getHandle(batchId);
  for (let attempt = 1; ; attempt++) {
    const progress = await queryRunning(handle, batchId);
    if (!progress) return { handle, running: false, progress: await finishedProgress(handle, batchId) };
    // A run's last workflow task can answer with a final state just before the run closes: ask again rather than report
    // it.
    if (!FINAL_STATES.has(progress.state) || attempt >= 50) return { handle, running: true, progress };
    await sleep(100);
  }
}

/**
 * A running batch's progress in one round trip, or undefined once it has ended: the CLI's client has the
 * server refuse queries to closed workflows (temporal-connection.ts), rather than replay them on a worker.
 */
async function queryRunning(handle: WorkflowHandle, batchId: string): Promise<BatchProgress | undefined> {
  try {
    return await handle.query(progressQuery);
  } catch (err) {
    if (err instanceof QueryRejectedError) return undefined;
    if (err instanceof WorkflowNotFoundError)
      throw new UserError(`no batch with id ${batchId}; \`clientsync list\` shows the batches`);
    throw err;
  }
}

/** A finished batch answers from its result, so no worker is needed to replay it. */
async function finishedProgress(handle: WorkflowHandle, batchId: string): Promise<BatchProgress> {
  let summary: BatchSummary | undefined;
  let failure: string | undefined;
  let cancelled = false;
  try {
    summary = (await handle.result()) as BatchSummary;
  } catch (err) {
    // cancelled before it could end with a summary, failed, terminated or timed out: no summary, but the reason
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) cancelled = true;
    else failure = endedBecause(err);
  }
  const state = summary?.state ?? (cancelled ? 'cancelled' : 'failed');
  return {
    batchId,
    batchRun: summary?.batchRun ?? null,
    state,
    processed: summary?.processed ?? 0,
    succeeded: summary?.succeeded ?? 0,
    failed: summary?.failed ?? 0,
    duplicates: summary?.duplicates ?? 0,
    pending: summary ? summary.total - summary.processed : 0,
    total: summary?.total ?? null,
    resumeFromClientId: null,
    run: summary?.runs ?? 0,
    startedAt: summary?.startedAt ?? '',
    updatedAt: summary?.endedAt ?? '',
    waitingSince: null,
    tokenRefreshes: summary?.tokenRefreshes ?? 0,
    inFlight: 0,
    lastTokenError: null,
    ...(failure ? { failure } : {}),
  };
}

/** The innermost message of a workflow's failure: "Activity task failed" says less than its cause. */
function endedBecause(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return `${err instanceof Error ? err.message : String(err)}${e && e !== err && e.message ? `: ${e.message}` : ''}`;
}

export function isFinal(p: BatchProgress): boolean {
  return FINAL_STATES.has(p.state);
}

/** The input the batch was started with (the latest run's, which carries the same source, URL and options). */
export async function batchInput(handle: WorkflowHandle): Promise<BatchInput> {
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`batch ${handle.workflowId} has no recorded input`);
  return defaultPayloadConverter.fromPayload<BatchInput>(payload);
}

/** Runs `fn` with a connected client and always closes the connection. */
export async function withClient<T>(
  fn: (client: Client, namespace: string, address: string) => Promise<T>,
): Promise<T> {
  const { client, connection, target } = await connectClient();
  try {
    return await fn(client, target.namespace, target.address);
  } finally {
    await connection.close();
  }
}

/** Like getBatch, but refuses a batch that has already ended: signals to it would be lost. */
export async function getRunningBatch(client: Client, batchId: string, verb: string): Promise<BatchView> {
  const view = await getBatch(client, batchId);
  if (!view.running) {
    throw new UserError(`batch ${batchId} has already ended (${view.progress.state}); there is nothing to ${verb}`);
  }
  return view;
}
