import type { ClientEntry } from '../contract/sources';

/** Keeps pending clients in source order, so the resume point is the earliest one. */
export function addPending(pending: ClientEntry[], client: ClientEntry): void {
  let i = pending.length;
  while (i > 0 && pending[i - 1]!.position > client.position) i--;
  pending.splice(i, 0, client);
}
