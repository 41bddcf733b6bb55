import type { BatchSummary } from '../../../contract/progress';
import { withClient } from '../../../connection/batch-view';
import { cancelBatch } from '../../../operations/batch-actions';
import type { CliIO } from '../../io';

/** `clientsync cancel`: the batch stops starting calls, lets in-flight ones record, and ends with its summary. */
export async function cancel(batchId: string, io: CliIO): Promise<BatchSummary> {
  const { message, summary } = await withClient((client) => cancelBatch(client, batchId));
  io.out(message);
  return summary;
}
