import type { ClientPage, SourceCursor, SourceRef } from '../contract/sources';
import type { SourceReport } from '../domain/sources';
import { batchKey, type ResultsStore } from './results-store';

// A redrive (retry-failed) reads its clients from the results store, which every worker shares: the failed
// clients of the earlier batch, in their source order. No file is written on the host that started it.
// The cursor's offset is the source position to continue after, so pages cost the same all the way.

/** The earlier batch's key; the caller has checked that `store` is the one that holds it. */
function keyOf(source: SourceRef) {
  if (!source.redrive) throw new Error('not a redrive source');
  return batchKey(source.redrive.batchId, source.redrive.batchRun);
}

/** One page of the earlier batch's failed clients, from `cursor` on. */
export async function readRedrivePage(
  store: ResultsStore,
  source: SourceRef,
  cursor: SourceCursor,
  pageSize: number,
): Promise<ClientPage> {
  const rows = await store.list(keyOf(source), 'failed', pageSize, cursor.offset - 1);
  const clients = rows.map((r, i) => ({ id: r.clientId, position: cursor.position + i, record: r.record }));
  const last = rows[rows.length - 1];
  return rows.length < pageSize || !last
    ? { clients }
    : { clients, nextCursor: { offset: last.position + 1, position: cursor.position + rows.length } };
}

/** How many clients the redrive has. */
export async function inspectRedrive(store: ResultsStore, source: SourceRef): Promise<SourceReport> {
  const [first] = await store.list(keyOf(source), 'failed', 1);
  return {
    total: (await store.count(keyOf(source))).failed,
    duplicates: [],
    duplicateEntries: 0,
    firstClientId: first?.clientId ?? '',
  };
}
