// What a batch reports: its progress while it runs and its summary at the end.
import type { BatchCarry, BatchState, Counters } from './batch-input';
import type { Limits } from './options';
import type { PaceView } from './pace';

export interface BatchProgress extends Counters {
  batchId: string;
  /**
   * The first run's id, which tells this batch from others that used the same id (null: a batch keyed by its id alone).
   */
  batchRun: string | null;
  state: BatchState;
  pending: number;
  total: number | null;
  resumeFromClientId: string | null;
  /** The run number (see BatchCarry.run). */
  run: number;
  startedAt: string;
  updatedAt: string;
  waitingSince: string | null;
  tokenRefreshes: number;
  inFlight: number;
  lastTokenError: string | null;
  /** Why the batch paused when it was not an operator's `pause` (e.g. its source changed); null otherwise. */
  pausedBecause?: string | null;
  /** Why a batch ended as failed (Temporal's failure and its innermost cause); absent otherwise. */
  failure?: string;
  /** When the batch's token expires, when known (ISO time). */
  tokenExpiresAt?: string | null;
  /** Of tokenRefreshes, those the workers' token provider made without a person. */
  automaticRefreshes?: number;
  /** Since when the batch waits for a person (a token nobody could refresh, a pause it made itself); null otherwise. */
  waitingForPersonSince?: string | null;
  /** The limits in force (`clientsync set` changes them). */
  limits?: Limits;
  /** A paced batch's pace: the calls it makes and may make, and why (absent in batches started without the pace). */
  pace?: PaceView;
}

export interface BatchSummary extends Counters {
  batchId: string;
  /** See BatchProgress.batchRun. */
  batchRun?: string | null;
  state: BatchState;
  total: number;
  runs: number;
  tokenRefreshes: number;
  /** Of tokenRefreshes, those made without a person. */
  automaticRefreshes?: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
}

/** A run's progress, from what it carries and what only it knows. */
export function progressOf(
  batchId: string,
  carry: BatchCarry,
  state: BatchState,
  extra: {
    now: string;
    inFlight: number;
    lastTokenError: string | null;
    waitingForPersonSince?: string | null;
    limits?: Limits;
    pace?: PaceView;
  },
): BatchProgress {
  return {
    batchId,
    batchRun: carry.batchRun ?? null,
    state,
    ...carry.counters,
    pending: carry.pending.length,
    total: carry.total ?? null,
    resumeFromClientId: carry.pending[0]?.id ?? null,
    run: carry.run,
    startedAt: carry.startedAt,
    updatedAt: extra.now,
    waitingSince: carry.waitingForToken ? (carry.waitingSince ?? null) : null,
    tokenRefreshes: carry.tokenRefreshes,
    inFlight: extra.inFlight,
    lastTokenError: extra.lastTokenError,
    pausedBecause: carry.pausedBecause ?? null,
    tokenExpiresAt: carry.tokenExpiresAt === undefined ? null : new Date(carry.tokenExpiresAt).toISOString(),
    automaticRefreshes: carry.autoRefresh?.count ?? 0,
    waitingForPersonSince: extra.waitingForPersonSince ?? null,
    ...(extra.limits ? { limits: extra.limits } : {}),
    ...(extra.pace ? { pace: extra.pace } : {}),
  };
}

/** The one-line story Temporal Web shows as the workflow's current details. */
export function detailsLine(p: BatchProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  const counts = `${p.processed}${of} processed (${p.succeeded} succeeded, ${p.failed} failed${p.duplicates ? `, ${p.duplicates} duplicates` : ''})`;
  switch (p.state) {
    case 'waiting-for-token':
      return (
        `**waiting for tokenRefreshed** since ${p.waitingSince}, resume from ClientId ${p.resumeFromClientId} (${p.pending} pending; ` +
        `${p.lastTokenError ?? 'token expired'}). ${counts}. Run ${p.run}.`
      );
    case 'paused':
      return `**paused**${p.pausedBecause ? ` because ${p.pausedBecause}` : ''}: send resume to continue. ${counts}. Run ${p.run}.`;
    default:
      return `**${p.state}**: ${counts}. Run ${p.run}.`;
  }
}

export function summaryOf(p: BatchProgress, endedAt: number): BatchSummary {
  return {
    batchId: p.batchId,
    batchRun: p.batchRun,
    state: p.state,
    processed: p.processed,
    succeeded: p.succeeded,
    failed: p.failed,
    duplicates: p.duplicates,
    total: p.total ?? p.processed,
    runs: p.run,
    tokenRefreshes: p.tokenRefreshes,
    automaticRefreshes: p.automaticRefreshes ?? 0,
    startedAt: p.startedAt,
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - Date.parse(p.startedAt),
  };
}

/** How the reason of the pause after a canary (`start --canary`) starts. */
export const CANARY_PAUSE = 'the canary has ended';
