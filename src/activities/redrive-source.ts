import { batchKey, type ResultsStore } from '../store/results-store';
import { checkStore } from './store-check';
import type { ClientPage, SourceCursor, SourceRef, SourceReport } from '../domain/sources';

// A redrive (retry-failed) reads its clients from the results store, which every worker shares: the failed
// clients of the earlier batch, in their source order. No file is written on the host that started it.
// The cursor's offset is the source position to continue after, so pages cost the same all the way.

/** The earlier batch's key, once this worker's store is known to be the one that holds it. */
function keyOf(store: ResultsStore, source: SourceRef) {
  if (!source.redrive) throw new Error('not a redrive source');
  checkStore(store, source.redrive.store);
  return batchKey(source.redrive.batchId, source.redrive.batchRun);
}

/** One page of the earlier batch's failed clients, from `cursor` on. */
export async function readRedrivePage(store: ResultsStore, source: SourceRef, cursor: SourceCursor, pageSize: number): Promise<ClientPage> {
  const rows = await store.list(keyOf(store, source), 'failed', pageSize, cursor.offset - 1);
  const clients = rows.map((r, i) => ({ id: r.clientId, position: cursor.position + i, record: r.record }));
  const last = rows[rows.length - 1];
  return rows.length < pageSize || !last ? { clients } : { clients, nextCursor: { offset: last.position + 1, position: cursor.position + rows.length } };
}

/** How many clients the redrive has. */
export async function inspectRedrive(store: ResultsStore, source: SourceRef): Promise<SourceReport> {
  const [first] = await store.list(keyOf(store, source), 'failed', 1);
  return { total: (await store.count(keyOf(store, source))).failed, duplicates: [], duplicateEntries: 0, firstClientId: first?.clientId ?? '' };
}
