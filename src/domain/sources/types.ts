/** One client as read from the source: its id (always a string), its place, and the record itself. */
export interface ClientEntry {
  id: string;
  /** 0-based ordinal in the source; the resume order and the store's duplicate check use it. */
  position: number;
  /** The source record (the seed's `{ClientId, ClientName, …}`), exported with the result. */
  record: Record<string, unknown>;
}

export type SourceFormat = 'seed-json' | 'jsonl' | 'csv';

/**
 * Where the next page starts: a byte offset plus what the reader expects there.
 * Plain JSON, so it travels through workflow history and continue-as-new.
 */
export interface SourceCursor {
  offset: number;
  /** Ordinal of the next client. */
  position: number;
  /** Reader-specific state at `offset` (the nesting level for seed JSON; the header for CSV). */
  state?: string;
  /** The seed's outer object index, for error messages. */
  group?: number;
  /** CSV: the header's column names, read once at the start. */
  columns?: string[];
}

export interface SourceRef {
  /** A path the workers can read. */
  path: string;
  format: SourceFormat;
}

export interface ClientPage {
  clients: ClientEntry[];
  /** Undefined when the source is exhausted. */
  nextCursor?: SourceCursor;
}

/** A malformed source. The message names the place (byte offset, client number) and the fix. */
export class SourceError extends Error {
  override name = 'SourceError';
  /** The user fixes it: the CLI exits 2 (see exitCodeOf). */
  readonly exitCode = 2;
}

export const START_CURSOR: SourceCursor = { offset: 0, position: 0 };
