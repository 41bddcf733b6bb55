// A batch started without the pace (by 1.0): fixed limits, and calls that retry themselves. Kept as 1.0 ran
// it, so its runs continue, and replay, on this build. Deterministic code only.
import type { ClientEntry } from '../contract/sources';
import { LOCAL_WAVE_ROUNDS, makeApiCalls } from './api-calls';
import { hooksOf, leftToStart, startIn } from './call-start';
import { chunkSize } from './chunk-sizing';
import type { Dispatch } from './dispatch';
import type { RunState } from './run-state';

/**
 * A batch started without the pace: fixed limits, and calls that retry themselves. `--local-calls` runs one
 * wave at a time, of several rounds of `concurrency` calls that the worker's gate runs `concurrency` at a
 * time; otherwise `concurrency` activities run at once.
 */
export function unpacedDispatch(state: RunState): Dispatch {
  const { carry, opts } = state;
  const calls = makeApiCalls(state.input, opts, carry.batchRun, hooksOf(state));
  const perActivity = opts.clientsPerActivity as number; // unpaced batches never chunk by 'auto'
  const canStart = () =>
    !carry.paused && !carry.waitingForToken && state.inFlight < (opts.localCalls ? 1 : opts.concurrency);
  const sourceDone = () => carry.cursor === null && state.buffer.length === 0;
  const perStart = () => {
    if (opts.localCalls) return opts.concurrency * LOCAL_WAVE_ROUNDS;
    if (perActivity === 1) return 1;
    return chunkSize(perActivity, opts.concurrency, state.inFlight, leftToStart(state));
  };
  const start = (clients: ClientEntry[]) =>
    startIn(state, async () => {
      if (opts.localCalls) await calls.wave(clients);
      else await (clients.length === 1 && perActivity === 1 ? calls.single(clients[0]!) : calls.chunk(clients));
    });
  return {
    ready: () => canStart() && (carry.pending.length > 0 || !sourceDone()),
    finished: () => state.inFlight === 0 && carry.pending.length === 0 && sourceDone(),
    startNext() {
      if (carry.pending.length === 0 && state.buffer.length === 0) return false;
      start(
        carry.pending.length > 0 && canStart()
          ? carry.pending.splice(0, perStart())
          : state.buffer.splice(0, perStart()),
      );
      return true;
    },
    wakeAt: () => undefined,
  };
}
