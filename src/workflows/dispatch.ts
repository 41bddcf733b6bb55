// Dispatch: how many clients each start takes (one, a chunk, or a wave of local calls), when another may
// start, and running each to its end. A paced batch's dispatch also keeps its pace: its limits, its holds,
// the clients handed back for a later retry, and the probe while the API does not answer.
import { PacedDispatch } from './paced-dispatch';
import type { RunState } from './run-state';
import { unpacedDispatch } from './unpaced-dispatch';

export interface Dispatch {
  /** Something may start now. */
  ready(): boolean;
  /** Nothing in flight, nothing left to call, the source read to its end. */
  finished(): boolean;
  /** Starts what is ready; false when the next thing to do is reading a page. */
  startNext(): boolean;
  /** When the batch must look again though nothing in flight will wake it: a hold ends, a retry comes due. */
  wakeAt(): number | undefined;
}

export function makeDispatch(state: RunState): Dispatch {
  return state.opts.paced ? new PacedDispatch(state) : unpacedDispatch(state);
}
