import type { Client } from '@temporalio/client';
import { BATCH_WORKFLOW_TYPE } from '../contract/batch-input';
import { failedKey, processedKey, stateKey, totalKey, waitingSinceKey } from '../contract/search-attributes';

export interface ListedBatch {
  batchId: string;
  status: string;
  state: string | null;
  processed: number | null;
  total: number | null;
  failed: number | null;
  startTime: string;
  /** Since when it waits for a person (ISO time); null when it does not. */
  waitingSince: string | null;
}

/**
 * Batches from a visibility query, newest first, with state and progress: no worker answers it. Visibility
 * has a row per run, and a batch that continued as new has several: each batch is listed once, from its
 * latest run.
 */
export async function listBatches(client: Client, limit: number): Promise<ListedBatch[]> {
  const latest = new Map<string, ListedBatch & { runStart: number }>();
  for await (const wf of client.workflow.list({ query: `WorkflowType = '${BATCH_WORKFLOW_TYPE}'` })) {
    const seen = latest.get(wf.workflowId);
    if (seen && seen.runStart >= wf.startTime.getTime()) continue;
    if (!seen && latest.size >= limit) break;
    const sa = wf.typedSearchAttributes;
    latest.set(wf.workflowId, {
      batchId: wf.workflowId,
      status: wf.status.name,
      state: sa.get(stateKey) ?? null,
      processed: sa.get(processedKey) ?? null,
      total: sa.get(totalKey) ?? null,
      failed: sa.get(failedKey) ?? null,
      startTime: wf.startTime.toISOString(),
      waitingSince: sa.get(waitingSinceKey)?.toISOString() ?? null,
      runStart: wf.startTime.getTime(),
    });
  }
  return [...latest.values()].sort((a, b) => b.runStart - a.runStart).map(({ runStart: _, ...row }) => row);
}
