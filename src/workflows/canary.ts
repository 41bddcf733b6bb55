// --canary N: the batch calls its first N clients, then pauses, so a person sees their answers before the
// rest are called. The canary's clients are those at source positions below N; retries and clients pending
// after an expiry are among them. Deterministic code only.
import { CANARY_PAUSE } from '../contract/progress';
import type { ClientEntry } from '../contract/sources';
import { pauseBecause } from './person-wait';
import type { RunState } from './run-state';

/** Whether the client may start now: always, unless a canary is running and the client is not in it. */
export function inCanary(state: RunState, client: ClientEntry | undefined): boolean {
  const until = state.carry.canaryUntil;
  return client !== undefined && (until === undefined || client.position < until);
}

/**
 * The first client not yet called, by source position: pending (after an expiry, or a hand-over) or on the page,
 * where a held chunk hands back the clients it did not call.
 */
export function nextNew(state: RunState): ClientEntry | undefined {
  const [pending, page] = [state.carry.pending[0], state.buffer[0]];
  if (!pending || !page) return pending ?? page;
  return page.position < pending.position ? page : pending;
}

/** The next new client is past the canary, which is still running: nothing more is read or started. */
export function heldByCanary(state: RunState): boolean {
  const next = nextNew(state);
  return state.carry.canaryUntil !== undefined && next !== undefined && !inCanary(state, next);
}

/** Every client of the canary has ended: none in flight, waiting for a retry, or left to start. */
export function canaryEnded(state: RunState): boolean {
  return heldByCanary(state) && state.inFlight === 0 && (state.carry.retrying?.length ?? 0) === 0;
}

/** The canary is over: the batch pauses until a person resumes it. */
export function pauseAfterCanary(state: RunState): void {
  const n = state.carry.canaryUntil;
  state.carry.canaryUntil = undefined;
  pauseBecause(state, `${CANARY_PAUSE}: its first ${n} clients are called`);
}
