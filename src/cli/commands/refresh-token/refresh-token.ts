import type { BatchProgress } from '../../../contract/progress';
import { getBatch, withClient } from '../../../connection/batch-view';
import { handBatchToken } from '../../../operations/batch-actions';
import type { CliIO } from '../../io';
import { progressLine } from '../../progress-line';
import { readTokenInput, type TokenFlags } from '../../token-input';

/**
 * `clientsync refresh-token`: hands the batch a new token (sealed) through the `refreshToken` Update; with no
 * token, the workers ask their own source again.
 */
export async function refreshToken(batchId: string, flags: TokenFlags, io: CliIO): Promise<BatchProgress> {
  const token = await readTokenInput(flags, io);
  return withClient(async (client) => {
    io.out(await handBatchToken(client, batchId, token));
    const { progress } = await getBatch(client, batchId);
    io.out(progressLine(progress, 0));
    return progress;
  });
}
