import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../../../contract/errors';
import { refreshTokenUpdate, tokenRefreshedSignal, type TokenRefreshedInput } from '../../../contract/messages';
import type { BatchProgress } from '../../../contract/progress';
import { loadSealKey, sealToken } from '../../../token/seal';
import { jwtExpiry } from '../../../token/token-expiry';
import { getBatch, getRunningBatch, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';
import { progressLine } from '../../progress-line';
import { readTokenInput, type TokenFlags } from '../../token-input';

/**
 * `clientsync refresh-token`: hands the batch a new token (sealed) through the `refreshToken` Update, which
 * refuses a token the workers could not use and says what happened; with no token, the workers ask their own
 * source again. A batch whose workflow has no such Update gets the `tokenRefreshed` signal instead.
 */
export async function refreshToken(batchId: string, flags: TokenFlags, io: CliIO): Promise<BatchProgress> {
  const token = await readTokenInput(flags, io);
  const expiresAt = token ? jwtExpiry(token) : undefined;
  const arg: TokenRefreshedInput = token
    ? { sealedToken: sealToken(token, await loadSealKey({ create: true })), ...(expiresAt ? { expiresAt } : {}) }
    : {};
  return withClient(async (client) => {
    const handle = client.workflow.getHandle(batchId);
    // The Update goes first: the batch resumes on it, and asking its state before would delay that by two
    // round trips. When it cannot be delivered, the state says why (no such batch, or it has ended).
    const message = await send(handle, arg, batchId, !!token).catch(async (err: unknown) => {
      if (!(err instanceof UserError)) await getRunningBatch(client, batchId, 'refresh');
      throw err;
    });
    io.out(message);
    const { progress } = await getBatch(client, batchId);
    io.out(progressLine(progress, 0));
    return progress;
  });
}

/** The Update's answer, or the signal's for a batch that has no Update handler. */
async function send(
  handle: WorkflowHandle,
  arg: TokenRefreshedInput,
  batchId: string,
  withToken: boolean,
): Promise<string> {
  try {
    return (await handle.executeUpdate(refreshTokenUpdate, { args: [arg] })).message;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    const reason = err.cause?.message ?? err.message;
    if (!reason.startsWith('No registered handler for update'))
      throw new UserError(`batch ${batchId} refused the refresh: ${reason}`);
  }
  await handle.signal(tokenRefreshedSignal, arg);
  return withToken
    ? `Sent tokenRefreshed to ${batchId} with a new token.`
    : `Sent tokenRefreshed to ${batchId}; workers will re-read their own token source.`;
}
