// Dispatch: how many clients each start takes (one, a chunk, or a wave of local calls), when another may
// start, and running each to its end. A paced batch's dispatch also keeps its pace: its limits, its holds,
// the clients handed back for a later retry, and the probe while the API does not answer.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { RetryingClient } from '../contract/batch-input';
import type { ClientEntry } from '../contract/sources';
import { probeTimeoutMs } from '../domain/pace/outage';
import { LOCAL_WAVE_ROUNDS, makeApiCalls, type CallHooks, type PacedStart } from './api-calls';
import { chunkSize } from './chunk-sizing';
import type { RunState } from './run-state';
import { settle } from './limits';
import { autoChunk, breakerOpen, closeBreaker, heldTill, limits, paceOf, reportIn } from './pace';
import { storeProblem } from './person-wait';
import { tokenProblem } from './token-keeping';

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
  return state.opts.paced ? pacedDispatch(state) : unpacedDispatch(state);
}

function hooksOf(state: RunState): CallHooks {
  const { carry } = state;
  return {
    token: () => ({ sealedToken: carry.sealedToken, generation: carry.tokenGeneration }),
    settle: (client, outcome) => settle(state, client, outcome),
    tokenProblem: (client, generation, reason) => tokenProblem(state, client, generation, reason),
    storeProblem: (clients, reason) => storeProblem(state, clients, reason),
  };
}

/** Runs one start to its end; in-flight calls finish even when the batch is cancelled, so nothing is half-recorded. */
function startIn(state: RunState, call: () => Promise<void>): void {
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
const leftToStart = (state: RunState) => (state.carry.cursor === null ? state.buffer.length + state.carry.pending.length : undefined);

/**
 * A batch started without the pace: fixed limits, and calls that retry themselves. `--local-calls` runs one
 * wave at a time, of several rounds of `concurrency` calls that the worker's gate runs `concurrency` at a
 * time; otherwise `concurrency` activities run at once.
 */
function unpacedDispatch(state: RunState): Dispatch {
  const { carry, opts } = state;
  const calls = makeApiCalls(state.input, opts, carry.batchRun, hooksOf(state));
  const perActivity = opts.clientsPerActivity as number; // unpaced batches never chunk by 'auto'
  const canStart = () => !carry.paused && !carry.waitingForToken && state.inFlight < (opts.localCalls ? 1 : opts.concurrency);
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
      start(carry.pending.length > 0 && canStart() ? carry.pending.splice(0, perStart()) : state.buffer.splice(0, perStart()));
      return true;
    },
    wakeAt: () => undefined,
  };
}

/** Puts a client to retry in order of when it comes due. */
function addRetrying(retrying: RetryingClient[], entry: RetryingClient): void {
  let i = retrying.length;
  while (i > 0 && retrying[i - 1]!.notBefore > entry.notBefore) i--;
  retrying.splice(i, 0, entry);
}

/**
 * A paced batch: as many starts in flight as the pace allows, each paced at its share of the rate; nothing
 * while a hold lasts; and while the API does not answer, only the probe.
 */
function pacedDispatch(state: RunState): Dispatch {
  const { carry, opts } = state;
  const retrying = (carry.retrying ??= []);
  let probing = false;
  const calls = makeApiCalls(state.input, opts, carry.batchRun, {
    ...hooksOf(state),
    report: (report, probe) => (probe ? closeBreaker(state, report) : reportIn(state, report)),
    retryLater: (client, attempts, notBefore) => addRetrying(retrying, { client, attempts, notBefore }),
    callFirst(clients, attempts) {
      // Clients being retried keep their place among the retries; the others go back to the front of the page.
      state.buffer.unshift(...clients.filter((_, i) => !attempts[i]));
      clients.forEach((client, i) => attempts[i] && addRetrying(retrying, { client, attempts: attempts[i]!, notBefore: 0 }));
    },
  });
  const due = () => retrying.length > 0 && retrying[0]!.notBefore <= Date.now();
  const waiting = () => carry.pending.length > 0 || state.buffer.length > 0 || due();
  const mayAct = () => !carry.paused && !carry.waitingForToken;
  const canStart = () => mayAct() && !breakerOpen(state) && heldTill(state) === undefined && state.inFlight < (opts.localCalls ? 1 : limits(state).concurrency);
  const probeDue = () => breakerOpen(state) && !probing && mayAct() && (retrying.length > 0 || state.buffer.length > 0);

  /** The next clients: those due for a retry first, then those pending after an expiry, then the page's. */
  const take = (size: number) => {
    const clients: ClientEntry[] = [];
    const attempts: number[] = [];
    while (clients.length < size && due()) {
      const r = retrying.shift()!;
      clients.push(r.client);
      attempts.push(r.attempts);
    }
    for (const source of [carry.pending, state.buffer]) {
      const taken = source.splice(0, size - clients.length);
      clients.push(...taken);
      attempts.push(...taken.map(() => 0));
    }
    return { clients, attempts };
  };
  const sizeOfStart = () => {
    const { concurrency } = limits(state);
    if (opts.localCalls) return concurrency * LOCAL_WAVE_ROUNDS;
    const target = opts.clientsPerActivity === 'auto' ? autoChunk(state) : opts.clientsPerActivity;
    return target === 1 ? 1 : chunkSize(target, concurrency, state.inFlight, leftToStart(state));
  };
  const paceOfStart = (): Omit<PacedStart, 'clients' | 'attempts'> => {
    const { concurrency, rate } = limits(state);
    const pace = { epoch: paceOf(state).law.epoch, breaker: opts.breaker === 'on' };
    if (!rate) return { pace, concurrency };
    return { pace, concurrency, paceMs: Math.ceil((1000 * (opts.localCalls ? 1 : concurrency)) / rate), minGapMs: 1000 / rate };
  };
  const startProbe = () => {
    // The client longest waiting for its retry, else the next of the page; its failures in the outage cost it no attempt.
    const r = retrying.shift();
    const start = r ? { clients: [r.client], attempts: [r.attempts] } : { clients: state.buffer.splice(0, 1), attempts: [0] };
    const probe = { since: paceOf(state).breaker.openSince!, timeoutMs: probeTimeoutMs(opts.callTimeoutMs, paceOf(state).law.latency?.longMs) };
    probing = true;
    state.inFlight++;
    // A probe may wait out a long outage: cancelling the batch cancels it, and its client stays uncalled.
    void calls
      .paced({ ...start, ...paceOfStart(), probe })
      .catch((err: unknown) => {
        if (!isCancellation(err)) state.callError ??= err;
      })
      .finally(() => {
        probing = false;
        state.inFlight--;
      });
  };

  return {
    ready: () => probeDue() || (canStart() && (waiting() || carry.cursor !== null)),
    finished: () => state.inFlight === 0 && carry.pending.length === 0 && state.buffer.length === 0 && retrying.length === 0 && carry.cursor === null,
    startNext() {
      if (probeDue()) startProbe();
      else if (!waiting()) return false;
      else if (canStart()) {
        const start = { ...take(sizeOfStart()), ...paceOfStart() };
        startIn(state, () => (opts.localCalls ? calls.pacedWave(start) : calls.paced(start)));
      }
      return true;
    },
    wakeAt() {
      if (state.inFlight > 0 || !mayAct() || breakerOpen(state)) return undefined; // an answer, a signal or the probe wakes the batch
      const held = heldTill(state);
      if (held !== undefined) return held;
      return !waiting() && retrying.length > 0 ? retrying[0]!.notBefore : undefined;
    },
  };
}
