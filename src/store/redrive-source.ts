import type { ClientPage, SourceCursor, SourceRef } from '../contract/sources';
import type { SourceReport } from '../domain/sources';
import { failureMatcher } from '../domain/failure-filter';
import { batchKey, type ResultsStore } from './results-store';

// A redrive (retry-failed) reads its clients from the results store, which every worker shares: the failed
// clients of the earlier batch, in their source order. No file is written on the host that started it.
// The cursor's offset is the source position to continue after, so pages cost the same all the way.

/** The earlier batch's key; the caller has checked that `store` is the one that holds it. */
function keyOf(source: SourceRef) {
  if (!source.redrive) throw new Error('not a redrive source');
  return batchKey(source.redrive.batchId, source.redrive.batchRun);
}

/**
 * One page of the earlier batch's failed clients that the redrive's filter takes, from `cursor` on: rows are
 * read until a page is full or the failures end.
 */
export async function readRedrivePage(
  store: ResultsStore,
  source: SourceRef,
  cursor: SourceCursor,
  pageSize: number,
): Promise<ClientPage> {
  const takes = failureMatcher(source.redrive?.filter);
  const clients: ClientPage['clients'] = [];
  let after = cursor.offset - 1;
  for (;;) {
    const want = pageSize - clients.length;
    const rows = await store.list(keyOf(source), 'failed', want, after);
    for (const r of rows) {
      if (takes(r.lastStatus, r.reason))
        clients.push({ id: r.clientId, position: cursor.position + clients.length, record: r.record });
    }
    const last = rows.at(-1);
    if (rows.length < want || !last) return { clients };
    after = last.position;
    if (clients.length >= pageSize)
      return { clients, nextCursor: { offset: after + 1, position: cursor.position + clients.length } };
  }
}

/** How many clients the redrive takes, and how many failed clients its filter leaves. */
export async function inspectRedrive(store: ResultsStore, source: SourceRef): Promise<SourceReport & { left: number }> {
  const filter = source.redrive?.filter;
  const failed = (await store.count(keyOf(source))).failed;
  if (!filter) {
    const [first] = await store.list(keyOf(source), 'failed', 1);
    return { total: failed, left: 0, duplicates: [], duplicateEntries: 0, firstClientId: first?.clientId ?? '' };
  }
  const takes = failureMatcher(filter);
  let total = 0;
  let firstClientId = '';
  for await (const r of store.iterate(keyOf(source), 'failed')) {
    if (!takes(r.lastStatus, r.reason)) continue;
    if (total++ === 0) firstClientId = r.clientId;
  }
  return { total, left: failed - total, duplicates: [], duplicateEntries: 0, firstClientId };
}
