// The source, page by page, and the history budget that decides at each page boundary whether this run
// has room for another page or hands over to the next run (continue-as-new).
import { condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FailureTypes } from '../contract/failures';
import { runWouldOverflow, sizedChunksExtra } from './chunk-sizing';
import type { RunState } from './run-state';
import { autoChunk, limits } from './pace';
import { pausedFor } from './person-wait';

const sourceActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FailureTypes.BadSource, FailureTypes.SourceChanged] },
});

/**
 * Validates the whole source before the first API call; its count becomes `total`. A changed source pauses until a
 * resume.
 */
export async function inspectSource(state: RunState): Promise<void> {
  const { carry } = state;
  while (carry.run === 1 && carry.cursor === undefined && carry.total === undefined) {
    try {
      carry.total = (await sourceActivities.inspectSource({ source: state.input.source })).total;
    } catch (err) {
      if (!pausedFor(state, err)) throw err;
      await condition(() => !carry.paused || state.stopBecause !== undefined);
      if (state.stopBecause) throw state.stopBecause;
    }
  }
}

/** The next page; undefined when the batch paused instead (its source changed), and a resume reads it again. */
export async function readPage(state: RunState) {
  try {
    return await sourceActivities.readClientsPage({
      source: state.input.source,
      cursor: state.carry.cursor ?? undefined,
      pageSize: state.opts.pageSize,
    });
  } catch (err) {
    if (!pausedFor(state, err)) throw err;
    return undefined;
  }
}

/**
 * Whether this run has room for one more page of calls, split as finely as sized chunks may split it. A run
 * reads at least one page whatever that room: page sizes only guarantee that a page of full chunks fits.
 */
export class HistoryBudget {
  pagesThisRun = 0;
  /** An unpaced batch's chunks are sized from fixed limits, once. */
  private readonly fixedExtra: number;

  constructor(private readonly state: RunState) {
    const { opts } = state;
    const k = opts.clientsPerActivity;
    this.fixedExtra = typeof k === 'number' && k > 1 ? sizedChunksExtra(k, opts.concurrency, opts.pageSize) : 0;
  }

  runIsFull(): boolean {
    const info = workflowInfo();
    if (info.continueAsNewSuggested) return true;
    if (!this.state.opts.paced)
      return runWouldOverflow(info.historyLength, this.state.opts, this.pagesThisRun > 0 ? this.fixedExtra : 0);
    // A paced batch's chunks follow the API's latency: a page is budgeted for chunks a quarter of today's size,
    // and for a retry of each client handed back so far.
    const { opts } = this.state;
    const chunk =
      opts.clientsPerActivity === 'auto' ? Math.max(1, Math.floor(autoChunk(this.state) / 4)) : opts.clientsPerActivity;
    const extra =
      (chunk > 1 ? sizedChunksExtra(chunk, limits(this.state).concurrency, opts.pageSize) : 0) +
      (this.state.carry.retrying?.length ?? 0);
    return runWouldOverflow(info.historyLength, opts, extra, chunk);
  }
}
