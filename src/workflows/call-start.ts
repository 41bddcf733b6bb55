// What every start of calls shares, paced or not: the hooks a client's end comes back through, and running
// the start to its end. Deterministic code only.
import { CancellationScope } from '@temporalio/workflow';
import type { CallHooks } from './api-calls';
import { settle } from './limits';
import { storeProblem } from './person-wait';
import type { RunState } from './run-state';
import { tokenProblem } from './token-keeping';

/** The hooks every kind of call reports a client's end through. */
export function hooksOf(state: RunState): CallHooks {
  const { carry } = state;
  return {
    token: () => ({ sealedToken: carry.sealedToken, generation: carry.tokenGeneration }),
    settle: (client, outcome) => settle(state, client, outcome),
    tokenProblem: (client, generation, reason) => tokenProblem(state, client, generation, reason),
    storeProblem: (clients, reason) => storeProblem(state, clients, reason),
  };
}

/** Runs one start to its end; in-flight calls finish even when the batch is cancelled, so nothing is half-recorded. */
export function startIn(state: RunState, call: () => Promise<void>): void {
  state.inFlight++;
  void CancellationScope.nonCancellable(async () => {
    try {
      await call();
    } catch (err) {
      // A call that failed past its activity's handling (e.g. recordFailure out of retries) fails the batch.
      state.callError ??= err;
    } finally {
      state.inFlight--;
    }
  });
}

/** The source read to its end, with nothing of its last page left to call: chunks then share out what is left. */
export const leftToStart = (state: RunState) =>
  state.carry.cursor === null ? state.buffer.length + state.carry.pending.length : undefined;
