import path from 'node:path';
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { UserError } from '../contract/errors';
import { sourceName } from '../domain/sources/byte-source';
import { BATCH_WORKFLOW_TYPE, DEFAULT_TASK_QUEUE, type BatchInput } from '../contract/batch-input';

/**
 * Starts one batch workflow. One batch per id, ever: a second start under the same id is refused, even after
 * the first has ended, with a UserError that says how to go on. Temporal Web shows the summary.
 */
export async function startBatchWorkflow(
  client: Client,
  input: BatchInput,
  taskQueue = DEFAULT_TASK_QUEUE,
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const count = input.total === undefined ? '' : ` (${input.total} clients)`;
  return client.workflow
    .start(BATCH_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: input.batchId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      staticSummary: `clientsync batch over ${path.basename(sourceName(input.source.path))}${count}${input.retryOf ? `, retrying failures of ${input.retryOf}` : ''}`,
      staticDetails: `Calls ${input.apiUrl} once per ClientId. Progress: the \`progress\` query, \`clientsync status ${input.batchId}\`, or Current Details here.`,
    })
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      throw new UserError(
        `a batch with id ${input.batchId} already exists; pick another --id (\`clientsync status ${input.batchId}\` shows it)`,
      );
    });
}
