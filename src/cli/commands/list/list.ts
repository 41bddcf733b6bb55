import { withClient } from '../../../connection/batch-view';
import { listBatches, type ListedBatch } from '../../../connection/batch-list';
import type { CliIO } from '../../io';

/** `clientsync list`: batches newest first, with state and progress, one line each or JSON. */
export async function list(opts: { json?: boolean; limit?: number }, io: CliIO): Promise<ListedBatch[]> {
  const rows = await withClient((client) => listBatches(client, opts.limit ?? 50));
  if (opts.json) io.out(JSON.stringify(rows));
  else if (rows.length === 0) io.out('No batches yet. `clientsync start --clients FILE --api-url URL` starts one.');
  else {
    io.out(['BATCH', 'STATE', 'PROGRESS', 'FAILED', 'STARTED'].join('\t'));
    for (const r of rows) {
      const state = r.state ?? r.status.toLowerCase();
      io.out([r.batchId, state, `${r.processed ?? 0}/${r.total ?? '?'}`, r.failed ?? 0, r.startTime].join('\t'));
    }
  }
  return rows;
}
