import type { Client } from '@temporalio/client';
import type { BatchInput } from '../contract/batch-input';
import { UserError } from '../contract/errors';
import { recordedOptions, requestOf, resolveOptions } from '../contract/options';
import type { SourceRef } from '../domain/sources';
import type { FailureFilter } from '../contract/sources';
import { filterText } from '../domain/failure-filter';
import { inspectRedrive } from '../store/redrive-source';
import { batchKey, type BatchKey, type ResultsStore } from '../store/results-store';
import { loadSealKey, sealToken } from '../token/seal';
import { jwtExpiry } from '../token/token-expiry';
import { batchInput, getBatch, isFinal } from '../connection/batch-view';

export interface RedriveRequest {
  /** The ended batch whose failed clients are retried. */
  batchId: string;
  /** The new batch's id; default: `<batchId>-retry-<time>`. */
  newId?: string;
  /** Which batch under the id, when several have used it; default: the one Temporal knows. */
  key?: BatchKey;
  /** The API token for the new batch; absent: the workers' own token source. */
  token?: string;
  /** Only the failed clients this takes (--status, --reason); absent: every failed client. */
  filter?: FailureFilter;
}

export interface RedrivePlan {
  input: BatchInput;
  /** Failed clients the filter leaves out. */
  left: number;
  /** What people are told: how many it picked, and how many it left and why. */
  message: string;
}

/**
 * A redrive, ready to start: a new batch over the failed clients of an ended batch, with the same API URL,
 * options and alert URL, linked by `retryOf`. The workers read those clients from the results store they
 * share, so nothing is written on this host. The CLI's `retry-failed` and the console both start this.
 */
export async function planRedrive(client: Client, store: ResultsStore, req: RedriveRequest): Promise<RedrivePlan> {
  const { batchId } = req;
  const view = await getBatch(client, batchId);
  if (!isFinal(view.progress))
    throw new UserError(`batch ${batchId} is still ${view.progress.state}; retry its failures once it has ended`);
  const original = await batchInput(view.handle);
  const key = req.key ?? batchKey(batchId, view.progress.batchRun);
  // The workers read the failed clients from this store; a worker with another refuses to.
  const filter = req.filter && (req.filter.statuses || req.filter.reasons) ? req.filter : undefined;
  const redrive = {
    batchId: key.id,
    batchRun: key.firstRunId,
    store: store.identity.id,
    ...(filter ? { filter } : {}),
  };
  const source: SourceRef = { path: `failed clients of ${batchId}`, format: 'redrive', redrive };
  const { total, left } = await inspectRedrive(store, source);
  const leftText = filter ? ` (${left} left: not ${filterText(filter)})` : '';
  if (total === 0)
    throw new UserError(
      `batch ${batchId} has no failed clients to retry${filter ? `${leftText}; widen the filter` : ''}`,
    );
  // The failed clients are called as the batch called them, without its canary: a redrive pauses for nobody.
  const options = recordedOptions({ ...original.options, canary: undefined });
  const { token } = req;
  if (token && requestOf(resolveOptions(options)).auth === 'basic' && !token.includes(':'))
    throw new UserError('the batch uses basic auth, which takes the token as user:password; the token has no ":"');
  const expiresAt = token ? jwtExpiry(token) : undefined;
  const newId = req.newId ?? `${batchId}-retry-${Date.now().toString(36)}`;
  const input: BatchInput = {
    batchId: newId,
    source,
    apiUrl: original.apiUrl,
    total,
    options,
    ...(token ? { sealedToken: sealToken(token, await loadSealKey({ create: true })) } : {}),
    ...(expiresAt ? { tokenExpiresAt: expiresAt } : {}),
    ...(original.sealedNotifyUrl ? { sealedNotifyUrl: original.sealedNotifyUrl } : {}),
    retryOf: batchId,
    store: store.identity,
  };
  return { input, left, message: `Retrying ${total} failed clients of ${batchId} as ${newId}${leftText}.` };
}
