import { UserError } from './errors';

/** One client as read from the source: its id (always a string), its place, and the record itself. */
export interface ClientEntry {
  id: string;
  /** 0-based ordinal in the source; the resume order and the store's duplicate check use it. */
  position: number;
  /**
   * The source record (the original script's `{ClientId, ClientName, …}`), exported with the result. In the nested
   * format, when the batch names a group field, it also holds the enclosing object's fields under GROUP_KEY.
   */
  record: Record<string, unknown>;
}

/**
 * Where an entry's record keeps its enclosing object's fields, and the name templates (`{$group.Region}`) and
 * `--body` (`$group.Region`) read them by. A `$` cannot start a name a template reads from the client itself.
 */
export const GROUP_KEY = '$group';

/** 'redrive': the failed clients of an earlier batch, read from the results store (retry-failed). */
export type SourceFormat = 'seed-json' | 'jsonl' | 'csv' | 'redrive';

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
  /** The original script's outer object index, for error messages. */
  group?: number;
  /** Seed JSON: the byte offset of the enclosing object, whose fields a resumed read looks up again. */
  groupAt?: number;
  /** CSV: the header's column names, read once at the start. */
  columns?: string[];
}

/** What an HTTP source was when the batch started; a page read from anything else is refused. */
export interface SourceVersion {
  size: number;
  etag?: string;
  lastModified?: string;
  /** A local file's SHA-256 at start: copies of it on several hosts are the same file, a rewrite of it is not. */
  sha256?: string;
}

export interface SourceRef {
  /** A path the workers can read, or an http(s):// URL read with Range requests. */
  path: string;
  format: SourceFormat;
  /** For a URL: the object's size and ETag/Last-Modified at start. */
  version?: SourceVersion;
  /**
   * For 'redrive': the batch whose failed clients these are (its id and first run id), and the id of the store that
   * holds them.
   */
  redrive?: { batchId: string; batchRun: string; store?: string; filter?: FailureFilter };
  /** Seed JSON: each entry carries its enclosing object's fields (the batch's templates name `$group`). */
  groupFields?: boolean;
}

/**
 * Which failed clients a redrive takes (retry-failed --status/--reason): those whose last HTTP status matches
 * one of `statuses` ("429", "5xx", or "none" for no answer), or whose reason matches one of `reasons` (globs,
 * e.g. "Timeout*"). With neither, every failed client.
 */
export interface FailureFilter {
  statuses?: string[];
  reasons?: string[];
}

export interface ClientPage {
  clients: ClientEntry[];
  /** Undefined when the source is exhausted. */
  nextCursor?: SourceCursor;
}

/** A malformed source. The message names the place (byte offset, client number) and the fix. */
export class SourceError extends UserError {
  override name = 'SourceError';

  /** `notFound`: no file at the path, or a 404 at the URL; the CLI names the fix (its flag), the workers only the problem. */
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

/** The source is no longer the file the batch started over (an HTTP object replaced or resized). */
export class SourceChangedError extends SourceError {
  override name = 'SourceChangedError';
}

export const START_CURSOR: SourceCursor = { offset: 0, position: 0 };
