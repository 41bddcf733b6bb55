import type { BatchSummary } from '../../../contract/progress';
import { getRunningBatch, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';

/** `clientsync cancel`: the batch stops starting calls, lets in-flight ones record, and ends with its summary. */
export async function cancel(batchId: string, io: CliIO): Promise<BatchSummary> {
  return withClient(async (client) => {
    const { handle } = await getRunningBatch(client, batchId, 'cancel');
    await handle.cancel();
    const summary = (await handle.result()) as BatchSummary;
    io.out(
      `Cancelled ${batchId}: ${summary.processed} of ${summary.total} processed (${summary.succeeded} succeeded, ${summary.failed} failed).`,
    );
    return summary;
  });
}
