// How a batch's clients are split into activities, and whether a run has room for one more page of them.
// Deterministic code only.
import { HISTORY_COST, smallestChunk, type BatchOptions } from '../contract/options';

/**
 * The size of a chunk started while `inFlight` chunks run, with `left` clients still to start once the
 * whole source has been read. Two ways equal chunks waste slots:
 * - Started together (at the batch's start, after a wait for a token), they end together, and their slots
 *   idle while the workflow tasks that start the next ones queue one behind another. Sized by their place
 *   among the running chunks, they end spread over a chunk's length; then each mostly starts alone, at full size.
 * - At the end, the last full chunks leave the other slots idle. A share of what is left (guided
 *   self-scheduling) lets all slots finish at about the same time, and a small batch use every slot.
 */
export function chunkSize(clientsPerActivity: number, concurrency: number, inFlight: number, left?: number): number {
  const staggered = Math.ceil((clientsPerActivity * Math.min(inFlight + 1, concurrency)) / concurrency);
  const share = left === undefined ? clientsPerActivity : Math.ceil(left / concurrency);
  return Math.max(1, Math.min(staggered, share));
}

/**
 * At most how many more chunks than full ones chunkSize makes of a page: a staggered start splits one round
 * into `concurrency` chunks, and the end of the source, shared out, adds about `concurrency` × ln(K). No
 * chunk is empty, so a page never makes more chunks than it has clients.
 */
export function sizedChunksExtra(clientsPerActivity: number, concurrency: number, pageSize: number): number {
  const fullChunks = Math.ceil(pageSize / clientsPerActivity);
  return Math.min(concurrency * (1 + Math.ceil(Math.log(clientsPerActivity))), pageSize - fullChunks);
}

/**
 * Whether a run of `historyLength` events has no room for one more page of activities (and `extraActivities`),
 * chunked at least `chunk` clients each.
 */
export function runWouldOverflow(
  historyLength: number,
  opts: BatchOptions,
  extraActivities = 0,
  chunk = smallestChunk(opts),
): boolean {
  const perActivity = opts.localCalls ? HISTORY_COST.eventsPerLocalCall : HISTORY_COST.eventsPerActivity;
  const nextPage = (Math.ceil(opts.pageSize / chunk) + extraActivities) * perActivity;
  return historyLength + nextPage + HISTORY_COST.handOverMargin > opts.eventBudget;
}
