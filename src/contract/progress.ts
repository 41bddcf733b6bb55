// What a batch reports: its progress while it runs and its summary at the end.
import type { BatchState, Counters } from './batch';
import type { Limits } from './options';
import type { PaceView } from './pace';

export interface BatchProgress extends Counters {
  batchId: string;
  /** The first run's id, which tells this batch from others that used the same id (null: from before that key). */
  batchRun: string | null;
  state: BatchState;
  pending: number;
  total: number | null;
  resumeFromClientId: string | null;
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
  /** When the batch's token expires, when known (ISO time); absent in batches from before automatic refresh. */
  tokenExpiresAt?: string | null;
  /** Of tokenRefreshes, those the workers' token provider made without a person. */
  automaticRefreshes?: number;
  /** Since when the batch waits for a person (a token nobody could refresh, a pause it made itself); null otherwise. */
  waitingForPersonSince?: string | null;
  /** The limits in force (`clientsync set` changes them); absent in batches from before `set`. */
  limits?: Limits;
  /** A paced batch's pace: the calls it makes and may make, and why (absent in batches started without the pace). */
  pace?: PaceView;
}

export interface BatchSummary extends Counters {
  batchId: string;
  /** See BatchProgress.batchRun; absent in summaries from before that key. */
  batchRun?: string | null;
  state: BatchState;
  total: number;
  runs: number;
  tokenRefreshes: number;
  /** Of tokenRefreshes, those made without a person (absent in summaries from before automatic refresh). */
  automaticRefreshes?: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
}
