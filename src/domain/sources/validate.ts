import { checkReadable, scanSource } from './read-page';
import { SourceError, type SourceRef } from './types';

/** Distinct ids the duplicate check remembers; past that, memory stays flat and later duplicates are only called once. */
export const DUPLICATE_CHECK_LIMIT = 1_000_000;

export interface SourceReport {
  total: number;
  /** False when the source had more distinct ids than DUPLICATE_CHECK_LIMIT: duplicates past it were not looked for. */
  duplicateCheckComplete: boolean;
  /** Distinct ids that appear more than once, with how often (first 20); each is called once. */
  duplicates: Array<{ id: string; count: number }>;
  duplicateEntries: number;
  firstClientId: string;
}

/**
 * Streams the whole source once: counts the clients, stops at the first malformed entry with its place,
 * and reports duplicate ids. Memory holds the ids seen, up to DUPLICATE_CHECK_LIMIT, never the records, so it
 * stays flat however large the file.
 */
export async function validateSource(source: SourceRef): Promise<SourceReport> {
  await checkReadable(source.path);
  const counts = new Map<string, number>();
  let total = 0;
  let duplicateEntries = 0;
  let firstClientId = '';
  for await (const { entry } of scanSource(source)) {
    if (total === 0) firstClientId = entry.id;
    total++;
    const seen = counts.get(entry.id);
    if (seen === undefined) {
      if (counts.size < DUPLICATE_CHECK_LIMIT) counts.set(entry.id, 1);
    } else {
      counts.set(entry.id, seen + 1);
      duplicateEntries++;
    }
  }
  if (total === 0) throw new SourceError(`${source.path} has no clients; nothing to call`);
  const duplicates: SourceReport['duplicates'] = [];
  if (duplicateEntries > 0) {
    for (const [id, count] of counts) {
      if (count > 1) duplicates.push({ id, count });
      if (duplicates.length === 20) break;
    }
  }
  return { total, duplicates, duplicateEntries, firstClientId, duplicateCheckComplete: counts.size < DUPLICATE_CHECK_LIMIT };
}
