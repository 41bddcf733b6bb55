import type { SourceRef } from '../../../domain/sources';
import { UserError } from '../../../contract/errors';
import { inspectRedrive } from '../../../store/redrive-source';
import { batchKey } from '../../../store/results-store';
import { batchInput, getBatch, isFinal, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';
import { withCliStore } from '../../cli-store';
import { batchUnderId } from '../../batch-under-id';
import type { TokenFlags } from '../../token-input';
import { start, type StartOptions, type StartResult } from '../start/start';

export interface RetryFailedOptions extends TokenFlags {
  id?: string;
  taskQueue?: string;
  workerToken?: boolean;
  /** The first run id (or a prefix) of the batch to redrive, when several have used the id; default: Temporal's. */
  run?: string;
}

/**
 * `clientsync retry-failed`: a redrive. Starts a new batch over the failed clients of an ended batch, with
 * the same API URL and every option, linked by `retryOf`. The workers read those clients from the results
 * store they share, so nothing is written on this host.
 */
export async function retryFailed(batchId: string, opts: RetryFailedOptions, io: CliIO): Promise<StartResult> {
  const { original, firstRunId } = await withClient(async (client) => {
    const view = await getBatch(client, batchId);
    if (!isFinal(view.progress))
      throw new UserError(`batch ${batchId} is still ${view.progress.state}; retry its failures once it has ended`);
    return { original: await batchInput(view.handle), firstRunId: view.progress.batchRun };
  });
  const newId = opts.id ?? `${batchId}-retry-${Date.now().toString(36)}`;
  const prepared: StartOptions['prepared'] = await withCliStore(async (store) => {
    // The batch Temporal knows under the id, unless --run names another that used it.
    const key =
      opts.run === undefined ? batchKey(batchId, firstRunId) : await batchUnderId(store, batchId, opts.run, io);
    // The workers read the failed clients from this store; a worker with another refuses to.
    const redrive = { batchId: key.id, batchRun: key.firstRunId, store: store.identity.id };
    const source: SourceRef = { path: `failed clients of ${batchId}`, format: 'redrive', redrive };
    return { source, report: await inspectRedrive(store, source), store: store.identity };
  });
  const count = prepared.report.total;
  if (count === 0) throw new UserError(`batch ${batchId} has no failed clients to retry`);
  io.out(`Retrying ${count} failed clients of ${batchId} as ${newId}.`);
  const { tokenFile, tokenStdin, taskQueue, workerToken } = opts;
  const flags = { tokenFile, tokenStdin, taskQueue, workerToken };
  return start(
    {
      ...flags,
      clients: prepared.source.path,
      id: newId,
      apiUrl: original.apiUrl,
      baseOptions: original.options,
      retryOf: batchId,
      prepared,
      baseSealedNotifyUrl: original.sealedNotifyUrl,
    },
    io,
  );
}
