import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import {
  readPage,
  SourceChangedError,
  SourceError,
  START_CURSOR,
  validateSource,
  type ClientPage,
  type SourceCursor,
  type SourceRef,
  type SourceReport,
} from '../domain/sources';
import { FailureTypes } from '../contract/failures';
import type { ResultsStore } from '../store/results-store';
import { inspectRedrive, readRedrivePage } from '../store/redrive-source';
import { checkStore } from './store-check';

export interface ReadClientsPageInput {
  source: SourceRef;
  /** Absent: the start of the source. */
  cursor?: SourceCursor;
  pageSize: number;
}

/** A malformed source is the operator's to fix: fail the batch at once, naming the place. */
function asBadSource(err: unknown): never {
  if (err instanceof SourceChangedError) {
    throw ApplicationFailure.create({
      type: FailureTypes.SourceChanged,
      message: err.message,
      nonRetryable: true,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  if (err instanceof SourceError) {
    throw ApplicationFailure.create({ type: FailureTypes.BadSource, message: err.message, nonRetryable: true });
  }
  throw err;
}

/** One page of clients from the cursor on; the next cursor is a byte offset, so page N costs what page 1 costs. */
export async function readClientsPage(input: ReadClientsPageInput): Promise<ClientPage> {
  return readPage(input.source, input.cursor ?? START_CURSOR, input.pageSize).catch(asBadSource);
}

export interface InspectSourceInput {
  source: SourceRef;
}

/** Streams the whole source once before any API call: counts it, and fails on the first malformed entry. */
export async function inspectSource(input: InspectSourceInput): Promise<SourceReport> {
  const timer = setInterval(() => Context.current().heartbeat(), 2000);
  try {
    return await validateSource(input.source).catch(asBadSource);
  } finally {
    clearInterval(timer);
  }
}

/**
 * The source activities a worker registers: files and URLs are read by the domain readers; a redrive
 * (retry-failed) from the results store the workers share.
 */
export function makeSourceActivities(store: ResultsStore) {
  /** A redrive's clients are in the store that holds the earlier batch: a worker on another refuses. */
  const redrive = (source: SourceRef) => {
    const yes = source.format === 'redrive';
    if (yes) checkStore(store, source.redrive?.store);
    return yes;
  };
  return {
    readClientsPage: async (input: ReadClientsPageInput): Promise<ClientPage> =>
      redrive(input.source)
        ? readRedrivePage(store, input.source, input.cursor ?? START_CURSOR, input.pageSize)
        : readClientsPage(input),
    inspectSource: async (input: InspectSourceInput): Promise<SourceReport> =>
      redrive(input.source) ? inspectRedrive(store, input.source) : inspectSource(input),
  };
}
