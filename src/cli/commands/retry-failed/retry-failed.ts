import { UserError } from '../../../contract/errors';
import type { FailureFilter } from '../../../contract/sources';
import { parseStatuses } from '../../../domain/failure-filter';
import { withClient } from '../../../connection/batch-view';
import { startBatchWorkflow } from '../../../connection/start-batch';
import { planRedrive } from '../../../operations/redrive';
import type { CliIO } from '../../io';
import { withCliStore } from '../../cli-store';
import { batchUnderId } from '../../batch-under-id';
import { readTokenInput, type TokenFlags } from '../../token-input';
import { webLine, webUrl } from '../../web-link';

export interface RetryFailedOptions extends TokenFlags {
  id?: string;
  taskQueue?: string;
  workerToken?: boolean;
  /** The first run id (or a prefix) of the batch to redrive, when several have used the id; default: Temporal's. */
  run?: string;
  /** Only failed clients whose last status matches (429, 5xx, none), comma-separated. */
  status?: string;
  /** Only failed clients whose reason matches one of these globs, comma-separated. */
  reason?: string;
}

export interface RetryFailedResult {
  batchId: string;
  total: number;
  /** Failed clients the filter left out. */
  left: number;
  webUrl?: string;
}

/**
 * `clientsync retry-failed`: a redrive (planRedrive). Starts a new batch over the failed clients of an ended
 * batch, with the same API URL and every option, linked by `retryOf`.
 */
export async function retryFailed(batchId: string, opts: RetryFailedOptions, io: CliIO): Promise<RetryFailedResult> {
  const filter = filterOf(opts);
  const token = await readTokenInput(opts, io);
  return withClient(async (client, namespace, address) => {
    const { input, left, message } = await withCliStore(async (store) => {
      const key = opts.run === undefined ? undefined : await batchUnderId(store, batchId, opts.run, io);
      return planRedrive(client, store, { batchId, newId: opts.id, key, token, filter });
    });
    // Checked once the batch is known to be there and ended: that is what a mistyped id needs to hear first.
    if (!token && !opts.workerToken) {
      throw new UserError(
        "no API token: set API_TOKEN, or pass --token-file F or --token-stdin (or --worker-token to use the workers' own)",
      );
    }
    io.out(message);
    const url = webUrl(input.batchId, namespace, address);
    if (url) input.webUrl = url;
    await startBatchWorkflow(client, input, opts.taskQueue);
    io.out(`Started batch ${input.batchId}`);
    io.out(webLine(url, address));
    return { batchId: input.batchId, total: input.total ?? 0, left, ...(url ? { webUrl: url } : {}) };
  });
}

/** --status and --reason, checked before anything starts. */
function filterOf(opts: RetryFailedOptions): FailureFilter | undefined {
  if (opts.status === undefined && opts.reason === undefined) return undefined;
  let statuses: string[] | undefined;
  try {
    statuses = opts.status === undefined ? undefined : parseStatuses(opts.status);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const reasons = opts.reason
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (reasons?.length === 0) throw new UserError("--reason takes globs such as 'Timeout*', separated by commas");
  return { ...(statuses ? { statuses } : {}), ...(reasons ? { reasons } : {}) };
}
