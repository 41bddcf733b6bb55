import {
  allHandlersFinished,
  CancellationScope,
  condition,
  ContinueAsNew,
  isCancellation,
  makeContinueAsNewFunc,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchInput } from '../contract/batch-input';
import {
  pauseSignal,
  progressQuery,
  refreshTokenUpdate,
  resumeSignal,
  setLimitsUpdate,
  tokenRefreshedSignal,
} from '../contract/messages';
import type { BatchSummary } from '../contract/progress';
import { summaryOf } from '../contract/progress';
import { refreshRefusal, sealedKeyId } from './refresh-policy';
import { limitsChangeRefusal } from '../contract/limits';
import { RunState } from './run-state';
import { canaryEnded, pauseAfterCanary } from './canary';
import { makeDispatch } from './dispatch';
import { changeLimits } from './limits';
import { publishPace } from './pace';
import { alertEnded, personCame } from './person-wait';
import { HistoryBudget, inspectSource, readPage } from './source-pages';
import { acceptRefresh, keepTokenFresh, refreshAutomatically, refreshReply } from './token-keeping';

/**
 * Calls the API once for every client of the source, `concurrency` at a time. On an expired token it stops
 * starting calls, waits for `tokenRefreshed` (or refreshes by itself), and resumes at exactly the clients
 * that met the expiry. Its position (cursor, counters, pending clients) survives continue-as-new at page
 * boundaries. The concerns live in their own modules, each given this run's `RunState`.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const state = new RunState(input);
  setHandlers(state);
  if (state.opts.autoRefresh) void CancellationScope.nonCancellable(() => keepTokenFresh(state)); // it never ends; the batch's end drops it
  setHandler(setLimitsUpdate, (change) => changeLimits(state, change), {
    validator: (change) => refuseWith(limitsChangeRefusal(change, state.opts.paced)),
  });
  try {
    await callEveryClient(state);
    state.finalState = 'completed';
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err; // handing over to the next run is not an ending
    await CancellationScope.nonCancellable(() => condition(() => state.inFlight === 0)); // in-flight calls finish and record
    if (!isCancellation(err)) {
      state.finalState = 'failed';
      state.publish();
      await alertEnded(state, innermostMessage(err));
      throw err;
    }
    state.finalState = 'cancelled'; // ends with the summary so far
  }
  return endBatch(state);
}

/** Signals, queries and the refreshToken Update: set first, so a signal sent before this run started is delivered. */
function setHandlers(state: RunState): void {
  const { carry, input } = state;
  setHandler(progressQuery, () => state.progress());
  setHandler(tokenRefreshedSignal, (arg) => acceptRefresh(state, arg));
  // Every token of a batch is sealed with one key: the first one's (the starter's, or a worker's refresh).
  const batchKeyId = () => sealedKeyId(input.sealedToken ?? carry.sealedToken);
  setHandler(refreshTokenUpdate, (arg) => refreshReply(state, arg), {
    validator: (arg) => refuseWith(refreshRefusal(carry, batchKeyId(), arg.sealedToken)),
  });
  setHandler(pauseSignal, () => {
    carry.paused = true;
    state.publish();
  });
  setHandler(resumeSignal, () => {
    carry.paused = false;
    carry.pausedBecause = undefined;
    personCame(state);
    state.publish();
  });
}

/** An Update's validator: a refusal reaches the caller as the Update's error, and nothing enters history. */
function refuseWith(refusal: string | null): void {
  if (refusal) throw new Error(refusal);
}

/** The main loop: pages in, clients out, until every client is called (or it hands over to the next run). */
async function callEveryClient(state: RunState): Promise<void> {
  const { carry } = state;
  const budget = new HistoryBudget(state);
  await inspectSource(state);
  // A batch without a token of its own gets one from the workers' provider, so its lifetime is known.
  if (
    carry.run === 1 &&
    carry.cursor === undefined &&
    !carry.sealedToken &&
    !carry.autoRefresh &&
    state.opts.autoRefresh
  ) {
    await refreshAutomatically(state, 'initial');
  }
  state.publish();
  const dispatch = makeDispatch(state);
  for (;;) {
    // A wake-up time that changes (a hold comes in as the last call ends) is looked at again with its timer.
    const wakeAt = dispatch.wakeAt();
    const woke = () =>
      state.callError !== undefined ||
      state.stopBecause !== undefined ||
      dispatch.ready() ||
      dispatch.finished() ||
      canaryEnded(state) ||
      dispatch.wakeAt() !== wakeAt;
    if (wakeAt === undefined) await condition(woke);
    else await condition(woke, Math.max(1, wakeAt - Date.now()));
    if (state.callError !== undefined) throw state.callError;
    if (state.stopBecause) throw state.stopBecause;
    if (canaryEnded(state)) pauseAfterCanary(state);
    // Nothing in flight (a wait just ended, or the run just began) and a new build is the target: move now.
    if (state.inFlight === 0 && !state.refreshing && workflowInfo().targetWorkerDeploymentVersionChanged)
      return handOver(state);
    if (dispatch.startNext()) continue;
    if (carry.cursor !== null) {
      // A page boundary: where a running batch hands over to the next run, when history is full or a new build is the
      // target.
      if (budget.runIsFull() || workflowInfo().targetWorkerDeploymentVersionChanged) return handOver(state);
      const page = await readPage(state);
      budget.pagesThisRun++;
      if (!page) continue; // paused: the source changed
      state.buffer.push(...page.clients); // after any clients a held chunk handed back meanwhile
      carry.cursor = page.nextCursor ?? null;
      state.publish('always');
    } else if (dispatch.finished()) {
      return; // everything called, nothing pending, nothing in flight
    }
  }
}

/**
 * Continues as new once nothing is in flight. The run is pinned to the build it started on; the next one starts
 * on the deployment's current build (Worker Versioning's upgrade on continue-as-new, docs/upgrading.md).
 */
async function handOver(state: RunState): Promise<never> {
  await condition(() => state.inFlight === 0 && !state.refreshing && allHandlersFinished());
  const { carry } = state;
  carry.pending.push(...state.buffer.splice(0)); // read but not called yet: the next run calls them first
  carry.run++;
  return makeContinueAsNewFunc<typeof batchWorkflow>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({
    ...state.input,
    carry,
  });
}

/** The end: a refresh still running counts, the last alert goes out, and the summary is the result. */
async function endBatch(state: RunState): Promise<BatchSummary> {
  // A refresh before the token's end may still be running: its token was asked for, so it counts. A provider
  // that is down (the activity retrying) does not hold up the end for more than a short while.
  if (state.refreshing) await CancellationScope.nonCancellable(() => condition(() => !state.refreshing, '10 seconds'));
  state.publish('always');
  if (state.opts.paced) publishPace(state, true);
  const endedAt = Date.now();
  await alertEnded(
    state,
    state.finalState === 'cancelled' ? (state.stopBecause?.message ?? 'cancelled by a person') : null,
  );
  return summaryOf(state.progress(), endedAt); // after the alert: a refresh signalled meanwhile still counts
}

/** An ended batch's failure as people read it: the innermost cause's message. */
function innermostMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
