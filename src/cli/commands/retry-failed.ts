import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { UserError } from '../../errors';
import { stateDir } from '../../paths';
import { batchKey, openResultsStore } from '../../store/results-store';
import { batchInput, getBatch, isFinal, withClient } from '../batches';
import type { CliIO } from '../io';
import { storedBatch } from '../stored-batch';
import type { TokenFlags } from '../token-input';
import { start, type StartResult } from './start';

export interface RetryFailedOptions extends TokenFlags {
  id?: string;
  taskQueue?: string;
  workerToken?: boolean;
  /** The first run id (or a prefix) of the batch to redrive, when several have used the id; default: Temporal's. */
  run?: string;
}

/**
 * `clientsync retry-failed`: a redrive. Writes the failed clients of an ended batch to a JSONL file and
 * starts a new batch over them with the same API URL and every option, linked by `retryOf`.
 */
export async function retryFailed(batchId: string, opts: RetryFailedOptions, io: CliIO): Promise<StartResult> {
  const { original, batchRun } = await withClient(async (client) => {
    const view = await getBatch(client, batchId);
    if (!isFinal(view.progress)) throw new UserError(`batch ${batchId} is still ${view.progress.state}; retry its failures once it has ended`);
    return { original: await batchInput(view.handle), batchRun: view.progress.batchRun };
  });
  const store = await openResultsStore();
  const newId = opts.id ?? `${batchId}-retry-${Date.now().toString(36)}`;
  const file = path.join(stateDir(), 'redrive', `${newId}.jsonl`);
  let count = 0;
  try {
    // The batch Temporal knows under the id, unless --run names another that used it.
    const key = opts.run === undefined ? batchKey(batchId, batchRun) : await storedBatch(store, batchId, opts.run, io);
    await mkdir(path.dirname(file), { recursive: true });
    const out = createWriteStream(file);
    for await (const row of store.iterate(key, 'failed')) {
      if (!out.write(JSON.stringify(row.record) + '\n')) await once(out, 'drain');
      count++;
    }
    out.end();
    await once(out, 'finish');
  } finally {
    await store.close();
  }
  if (count === 0) throw new UserError(`batch ${batchId} has no failed clients to retry`);
  io.out(`Retrying ${count} failed clients of ${batchId} as ${newId}.`);
  const { tokenFile, tokenStdin, taskQueue, workerToken } = opts;
  const flags = { tokenFile, tokenStdin, taskQueue, workerToken };
  return start({ ...flags, clients: file, format: 'jsonl', id: newId, apiUrl: original.apiUrl, baseOptions: original.options, retryOf: batchId }, io);
}
