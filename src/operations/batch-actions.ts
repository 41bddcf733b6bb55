import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { UserError } from '../contract/errors';
import {
  pauseSignal,
  refreshTokenUpdate,
  resumeSignal,
  setLimitsUpdate,
  tokenRefreshedSignal,
  type TokenRefreshedInput,
} from '../contract/messages';
import type { LimitsChange } from '../contract/options';
import type { BatchSummary } from '../contract/progress';
import { loadSealKey, sealToken } from '../token/seal';
import { jwtExpiry } from '../token/token-expiry';
import { getRunningBatch } from '../connection/batch-view';

// What a person can do to a running batch, as the CLI and the console both do it: each action goes through
// the batch's Updates and signals and answers one sentence for people. A batch that has ended is refused.

/** No new calls start; in-flight calls finish. */
export async function pauseBatch(client: Client, batchId: string): Promise<string> {
  await (await getRunningBatch(client, batchId, 'pause')).handle.signal(pauseSignal);
  return `Paused ${batchId}: in-flight calls finish, no new ones start.`;
}

/** A paused batch goes on. */
export async function resumeBatch(client: Client, batchId: string): Promise<string> {
  await (await getRunningBatch(client, batchId, 'resume')).handle.signal(resumeSignal);
  return `Resumed ${batchId}.`;
}

/** The batch stops starting calls, lets in-flight ones record, and ends with its summary. */
export async function cancelBatch(
  client: Client,
  batchId: string,
): Promise<{ message: string; summary: BatchSummary }> {
  const { handle } = await getRunningBatch(client, batchId, 'cancel');
  await handle.cancel();
  const summary = (await handle.result()) as BatchSummary;
  const counts = `${summary.processed} of ${summary.total} processed (${summary.succeeded} succeeded, ${summary.failed} failed)`;
  return { message: `Cancelled ${batchId}: ${counts}.`, summary };
}

/** Changes the limits through the `setLimits` Update, which records the change in the batch's history. */
export async function setBatchLimits(client: Client, batchId: string, change: LimitsChange): Promise<string> {
  const { handle } = await getRunningBatch(client, batchId, 'set');
  try {
    return (await handle.executeUpdate(setLimitsUpdate, { args: [change] })).message;
  } catch (err) {
    const reason = updateRefusal(err);
    if (reason === undefined) throw err;
    if (reason === null)
      throw new UserError(`batch ${batchId} was started by a clientsync without \`set\`; its limits cannot change`);
    throw new UserError(`batch ${batchId} refused the change: ${reason}`);
  }
}

/**
 * Hands the batch a new token, sealed here, through the `refreshToken` Update, which refuses a token the
 * workers could not use and says what happened; with no token, the workers ask their own source again. A
 * batch whose workflow has no such Update gets the `tokenRefreshed` signal instead. The token itself goes
 * nowhere but into the seal.
 */
export async function handBatchToken(client: Client, batchId: string, token: string | undefined): Promise<string> {
  const expiresAt = token ? jwtExpiry(token) : undefined;
  const arg: TokenRefreshedInput = token
    ? { sealedToken: sealToken(token, await loadSealKey({ create: true })), ...(expiresAt ? { expiresAt } : {}) }
    : {};
  const handle = client.workflow.getHandle(batchId);
  // The Update goes first: the batch resumes on it, and asking its state before would delay that by two
  // round trips. When it cannot be delivered, the state says why (no such batch, or it has ended).
  return sendToken(handle, arg, batchId, !!token).catch(async (err: unknown) => {
    if (!(err instanceof UserError)) await getRunningBatch(client, batchId, 'refresh');
    throw err;
  });
}

/** The Update's answer, or the signal's for a batch that has no Update handler. */
async function sendToken(
  handle: WorkflowHandle,
  arg: TokenRefreshedInput,
  batchId: string,
  withToken: boolean,
): Promise<string> {
  try {
    return (await handle.executeUpdate(refreshTokenUpdate, { args: [arg] })).message;
  } catch (err) {
    const reason = updateRefusal(err);
    if (reason === undefined) throw err;
    if (reason !== null) throw new UserError(`batch ${batchId} refused the refresh: ${reason}`);
  }
  await handle.signal(tokenRefreshedSignal, arg);
  return withToken
    ? `Sent tokenRefreshed to ${batchId} with a new token.`
    : `Sent tokenRefreshed to ${batchId}; workers will re-read their own token source.`;
}

/**
 * Why the workflow refused an Update: its reason, null when its workflow has no handler for it (a batch of
 * an older clientsync), or undefined when the error is not a refusal at all.
 */
function updateRefusal(err: unknown): string | null | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const reason = err.cause?.message ?? err.message;
  return reason.startsWith('No registered handler for update') ? null : reason;
}
