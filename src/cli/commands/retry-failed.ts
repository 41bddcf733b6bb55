import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { UserError } from '../../errors';
import { stateDir } from '../../paths';
import { openResultsStore } from '../../store/results-store';
import { batchInput, getBatch, isFinal, withClient } from '../batches';
import type { CliIO } from '../io';
import type { TokenFlags } from '../token-input';
import { start, type StartResult } from './start';

/**
 * `clientsync retry-failed`: a redrive. Writes the failed clients of an ended batch to a JSONL file and
 * starts a new batch over them with the same API URL and options, linked by `retryOf`.
 */
export async function retryFailed(batchId: string, opts: TokenFlags & { id?: string; taskQueue?: string; workerToken?: boolean }, io: CliIO): Promise<StartResult> {
  const original = await withClient(async (client) => {
    const view = await getBatch(client, batchId);
    if (!isFinal(view.progress)) throw new UserError(`batch ${batchId} is still ${view.progress.state}; retry its failures once it has ended`);
    return batchInput(view.handle);
  });
  const store = await openResultsStore();
  const newId = opts.id ?? `${batchId}-retry-${Date.now().toString(36)}`;
  const file = path.join(stateDir(), 'redrive', `${newId}.jsonl`);
  let count = 0;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const out = createWriteStream(file);
    for await (const row of store.iterate(batchId, 'failed')) {
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
  const o = original.options ?? {};
  return start(
    {
      ...opts,
      clients: file,
      format: 'jsonl',
      id: newId,
      apiUrl: original.apiUrl,
      concurrency: o.concurrency,
      pageSize: o.pageSize,
      timeoutMs: o.callTimeoutMs,
      expiredRegex: o.expiredRegex,
      clientsPerActivity: o.clientsPerActivity,
      retryOf: batchId,
    },
    io,
  );
}
