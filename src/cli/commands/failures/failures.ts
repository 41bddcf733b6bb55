import type { CliIO } from '../../io';
import { withCliStore } from '../../cli-store';
import { batchUnderId } from '../../batch-under-id';

export interface FailureView {
  clientId: string;
  reason: string | null;
  lastStatus: number | null;
  attempts: number;
}

/** `clientsync failures`: failed clients with reason, last HTTP status and attempts, from the results store. */
export async function failures(
  batchId: string,
  opts: { json?: boolean; run?: string },
  io: CliIO,
): Promise<FailureView[]> {
  return withCliStore(async (store) => {
    const key = await batchUnderId(store, batchId, opts.run, io);
    const rows = (await store.list(key, 'failed')).map((r) => ({
      clientId: r.clientId,
      reason: r.reason,
      lastStatus: r.lastStatus,
      attempts: r.attempts,
    }));
    if (opts.json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out(`No failed clients recorded for ${batchId}.`);
    else {
      io.out(['CLIENT', 'REASON', 'STATUS', 'ATTEMPTS'].join('\t'));
      for (const r of rows) io.out([r.clientId, r.reason, r.lastStatus ?? '-', r.attempts].join('\t'));
    }
    return rows;
  });
}
