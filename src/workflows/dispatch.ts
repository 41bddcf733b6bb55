// Dispatch: how many clients each start takes (one, a chunk, or a wave of local calls), when another may
// start, and running each to its end.
import { CancellationScope } from '@temporalio/workflow';
import type { ClientEntry } from '../domain/sources/types';
import { LOCAL_WAVE_ROUNDS, makeApiCalls } from './api-calls';
import { chunkSize } from './batch-state';
import type { BatchRun } from './batch-run';
import { settle } from './limits';
import { storeProblem } from './person-wait';
import { tokenProblem } from './token-keeping';

export interface Dispatch {
  /** Whether another start may begin now (not paused, not waiting for a token, a slot free). */
  canStart(): boolean;
  /** Starts the next clients: those pending after an expiry first, then the page's. */
  startNext(): void;
}

export function makeDispatch(run: BatchRun): Dispatch {
  const { carry, opts } = run;
  const calls = makeApiCalls(run.input, opts, carry.batchRun, {
    token: () => ({ sealedToken: carry.sealedToken, generation: carry.tokenGeneration }),
    settle: (client, outcome) => settle(run, client, outcome),
    tokenProblem: (client, generation, reason) => tokenProblem(run, client, generation, reason),
    storeProblem: (clients, reason) => storeProblem(run, clients, reason),
  });

  /** Runs one activity to its end; in-flight calls finish even when the batch is cancelled, so nothing is half-recorded. */
  const start = (clients: ClientEntry[]) => {
    run.inFlight++;
    void CancellationScope.nonCancellable(async () => {
      try {
        if (opts.localCalls) await calls.wave(clients);
        else await (clients.length === 1 && opts.clientsPerActivity === 1 ? calls.single(clients[0]!) : calls.chunk(clients));
      } catch (err) {
        // A call that failed past its activity's handling (e.g. recordFailure out of retries) fails the batch.
        run.callError ??= err;
      } finally {
        run.inFlight--;
      }
    });
  };

  // --local-calls runs one wave at a time, of several rounds of `concurrency` calls that the worker's gate
  // runs `concurrency` at a time; otherwise `concurrency` activities run at once.
  const canStart = () => !carry.paused && !carry.waitingForToken && run.inFlight < (opts.localCalls ? 1 : opts.concurrency);
  const perStart = () => {
    if (opts.localCalls) return opts.concurrency * LOCAL_WAVE_ROUNDS;
    if (opts.clientsPerActivity === 1) return 1;
    const left = carry.cursor === null ? run.buffer.length + carry.pending.length : undefined; // the whole source read
    return chunkSize(opts.clientsPerActivity, opts.concurrency, run.inFlight, left);
  };

  return {
    canStart,
    startNext() {
      start(carry.pending.length > 0 && canStart() ? carry.pending.splice(0, perStart()) : run.buffer.splice(0, perStart()));
    },
  };
}
