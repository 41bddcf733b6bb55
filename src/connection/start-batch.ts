import path from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { sourceName } from '../domain/sources/byte-source';
import { BATCH_WORKFLOW_TYPE, DEFAULT_TASK_QUEUE, type BatchInput } from '../contract/batch-input';

/**
 * Starts one batch workflow. One batch per id, ever: a second start under the same id is refused with
 * WorkflowExecutionAlreadyStartedError, even after the first has ended. Temporal Web shows the summary.
 */
export function startBatchWorkflow(
  client: Client,
  input: BatchInput,
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const count = input.total === undefined ? '' : ` (${input.total} clients)`;
  return client.workflow.start(BATCH_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: input.batchId,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    staticSummary: `clientsync batch over ${path.basename(sourceName(input.source.path))}${count}${input.retryOf ? `, retrying failures of ${input.retryOf}` : ''}`,
    staticDetails: `Calls ${input.apiUrl} once per ClientId. Progress: the \`progress\` query, \`clientsync status ${input.batchId}\`, or Current Details here.`,
  });
}
