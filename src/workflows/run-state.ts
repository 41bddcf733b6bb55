import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ClientEntry } from '../contract/sources';
import { failedKey, processedKey, stateKey, totalKey } from '../contract/search-attributes';
import type { BatchCarry, BatchInput, BatchState } from '../contract/batch-input';
import { resolveOptions, type BatchOptions } from '../contract/options';
import { detailsLine, progressOf, type BatchProgress } from '../contract/progress';
import { limitsOf } from '../contract/limits';
import { paceViewOf } from './pace';

/** The batch waits for a person: since when and why; each wait is an episode with its own alerts. */
export interface PersonWait {
  since: number;
  reason: string;
  episode: number;
}

/**
 * The state of one run of a batch: what continue-as-new carries (`carry`) and what lives only in this run.
 * Each concern's module (token keeping, waiting for a person, limits, dispatch) reads and writes it.
 */
export class RunState {
  readonly opts: BatchOptions;
  readonly carry: BatchCarry;
  /** The page being dispatched. */
  buffer: ClientEntry[] = [];
  /** Activities (or waves) running now. */
  inFlight = 0;
  finalState: BatchState | undefined;
  lastTokenError: string | null = null;
  /** A refreshToken activity is running. */
  refreshing = false;
  /** What automatic refresh is doing about the token problem, or why it gave up; shown after lastTokenError. */
  refreshNote: string | null = null;
  personWait: PersonWait | undefined;
  episodes = 0;
  /** Ends the batch from inside (the wait timeout's cancel or fail, the failure threshold's fail). */
  stopBecause: Error | undefined;
  /** Why a call failed in a way no client outcome covers; ends the batch as failed. */
  callError: unknown;
  /** The pace last set on the worker's metrics. */
  pacePublished: string | undefined;
  private publishedState: BatchState | undefined;

  constructor(readonly input: BatchInput) {
    this.opts = resolveOptions(input.options);
    // The key is chosen once, in the first run, and carried: every run of one batch writes under the same key.
    this.carry = input.carry ?? initialCarry(input, new Date().toISOString(), workflowInfo().firstExecutionRunId);
  }

  get batchId(): string {
    return this.input.batchId;
  }

  tokenError(): string | null {
    return [this.lastTokenError, this.refreshNote].filter((x) => x !== null).join('; ') || null;
  }

  progress(): BatchProgress {
    return progressOf(this.input.batchId, this.carry, stateOf(this.carry, this.finalState), {
      now: new Date().toISOString(),
      inFlight: this.inFlight,
      lastTokenError: this.tokenError(),
      waitingForPersonSince: this.personWait ? new Date(this.personWait.since).toISOString() : null,
      limits: limitsOf(this.opts),
      ...(this.opts.paced ? { pace: paceViewOf(this) } : {}),
    });
  }

  /**
   * Mirrors progress into Temporal Web. The details line costs no history event, so it follows every
   * client; search attributes do (one event per upsert), so they follow state changes and page boundaries.
   */
  publish(attributes: 'if-state-changed' | 'always' = 'if-state-changed'): void {
    const p = this.progress();
    setCurrentDetails(detailsLine(p));
    if (attributes === 'if-state-changed' && p.state === this.publishedState) return;
    this.publishedState = p.state;
    upsertSearchAttributes([
      { key: stateKey, value: p.state },
      { key: processedKey, value: p.processed },
      { key: failedKey, value: p.failed },
      ...(p.total === null ? [] : [{ key: totalKey, value: p.total }]),
    ]);
  }
}

/** The carry of a batch's first run. */
export function initialCarry(input: BatchInput, now: string, firstRunId?: string): BatchCarry {
  return {
    ...(input.tokenExpiresAt ? { tokenExpiresAt: input.tokenExpiresAt, tokenObtainedAt: Date.parse(now) } : {}),
    ...(firstRunId ? { batchRun: firstRunId } : {}),
    cursor: undefined,
    counters: { processed: 0, succeeded: 0, failed: 0, duplicates: 0 },
    pending: [],
    sealedToken: input.sealedToken,
    tokenGeneration: 0,
    tokenRefreshes: 0,
    waitingForToken: false,
    paused: false,
    ...(input.options?.canary ? { canaryUntil: input.options.canary } : {}),
    run: 1,
    startedAt: now,
    total: input.total,
  };
}

/** The state people see: ended, waiting for a token, paused or running. */
export function stateOf(carry: BatchCarry, final: BatchState | undefined): BatchState {
  if (final) return final;
  if (carry.waitingForToken) return 'waiting-for-token';
  if (carry.paused) return 'paused';
  return 'running';
}
