import { isUrl, sourceName } from './byte-source';
import { checkReadable, readUnchanged, scanSource } from './read-page';
import { IdTally } from './id-tally';
import { SourceError, type ClientEntry, type SourceRef } from '../../contract/sources';

export interface SourceReport {
  total: number;
  /** Distinct ids that appear more than once, with how often (first 20); each is called once. */
  duplicates: Array<{ id: string; count: number }>;
  duplicateEntries: number;
  firstClientId: string;
  /** The first entries, when asked for: what start checks a body template against and shows. */
  first?: ClientEntry[];
}

export interface ValidateOptions {
  /** Called for each entry; a SourceError it throws stops validation with that entry's place. */
  check?: (entry: ClientEntry) => void;
  /** Keep this many of the first entries in the report. */
  keepFirst?: number;
}

/**
 * Streams the whole source once: counts the clients, stops at the first malformed entry with its place,
 * and reports duplicate ids exactly. Memory holds at most IN_MEMORY_IDS ids (the rest are tallied on disk),
 * never the records, so it stays flat however large the file.
 */
export async function validateSource(source: SourceRef, options: ValidateOptions = {}): Promise<SourceReport> {
  if (!source.version || !isUrl(source.path)) await checkReadable(source.path);
  return readUnchanged(source, () => tallySource(source, options));
}

async function tallySource(source: SourceRef, options: ValidateOptions): Promise<SourceReport> {
  const tally = new IdTally();
  try {
    let total = 0;
    let firstClientId = '';
    const first: ClientEntry[] = [];
    for await (const { entry } of scanSource(source)) {
      if (total === 0) firstClientId = entry.id;
      if (first.length < (options.keepFirst ?? 0)) first.push(entry);
      options.check?.(entry);
      total++;
      tally.add(entry.id);
    }
    if (total === 0) throw new SourceError(`${sourceName(source.path)} has no clients; nothing to call`);
    const duplicates = tally.duplicates(20);
    return {
      total,
      duplicates,
      duplicateEntries: tally.duplicateEntries,
      firstClientId,
      ...(options.keepFirst ? { first } : {}),
    };
  } finally {
    tally.close();
  }
}
