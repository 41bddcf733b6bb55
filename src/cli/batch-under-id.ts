import { UserError } from '../contract/errors';
import { batchKey, type BatchKey, type ResultsStore } from '../store/results-store';
import type { CliIO } from './io';

/**
 * Which batch under `batchId` the store commands read: the newest, or the one whose first run id starts
 * with `run`. An id used by several batches (Temporal forgot the first) is said so on stderr, once.
 */
export async function batchUnderId(
  store: ResultsStore,
  batchId: string,
  run: string | undefined,
  io: CliIO,
): Promise<BatchKey> {
  const runs = await store.batchesUnderId(batchId);
  if (run !== undefined) {
    const matches = runs.filter((r) => r.firstRunId.startsWith(run));
    if (matches.length !== 1) {
      const known = runs.map((r) => `${r.firstRunId || '(none)'} started ${r.startedAt}`).join('; ') || 'none';
      throw new UserError(
        `${matches.length ? 'several' : 'no'} batches under id ${batchId} have a first run id starting with ${run}; pass one of: ${known}`,
      );
    }
    return batchKey(batchId, matches[0]!.firstRunId);
  }
  const newest = runs[0];
  if (runs.length > 1) {
    const others = runs.slice(1).map((r) => r.firstRunId || '""');
    const shown = `first run ${newest!.firstRunId || '(none)'}, started ${newest!.startedAt}`;
    io.err(
      `note: ${runs.length} batches have used the id ${batchId}; showing the newest (${shown}); pass --run RUN_ID for another: ${others.join(', ')}`,
    );
  }
  return batchKey(batchId, newest?.firstRunId);
}
