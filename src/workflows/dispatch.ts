// Dispatch: how many clients each start takes (one, a chunk, or a wave of local calls), when another may
// start, and running each to its end. A paced batch's dispatch also keeps its pace: its limits, its holds,
// the clients handed back for a later retry, and the probe while the API does not answer.
import { CancellationScope, isCancellation } from '@temporalio/workflow';
import type { RetryingClient } from '../contract/batch';
import type { ClientEntry } from '../contract/sources';
import { probeTimeoutMs } from '../domain/pace/outage';
import { LOCAL_WAVE_ROUNDS, makeApiCalls, type CallHooks, type PacedStart } from './api-calls';
import { chunkSize } from './batch-state';
import type { BatchRun } from './batch-run';
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

export function makeDispatch(run: BatchRun): Dispatch {
  return run.opts.paced ? pacedDispatch(run) : unpacedDispatch(run);
}

function hooksOf(run: BatchRun): CallHooks {
  const { carry } = run;
  return {
    token: () => ({ sealedToken: carry.sealedToken, generation: carry.tokenGeneration }),
    settle: (client, outcome) => settle(run, client, outcome),
    tokenProblem: (client, generation, reason) => tokenProblem(run, client, generation, reason),
    storeProblem: (clients, reason) => storeProblem(run, clients, reason),
  };
}

/** Runs one start to its end; in-flight calls finish even when the batch is cancelled, so nothing is half-recorded. */
function startIn(run: BatchRun, call: () => Promise<void>): void {
  run.inFlight++;
  void CancellationScope.nonCancellable(async () => {
    try {
      await call();
    } catch (err) {
      // A call that failed past its activity's handling (e.g. recordFailure out of retries) fails the batch.
      run.callError ??= err;
    } finally {
      run.inFlight--;
    }
  });
}

/** The source read to its end, with nothing of its last page left to call: chunks then share out what is left. */
const leftToStart = (run: BatchRun) => (run.carry.cursor === null ? run.buffer.length + run.carry.pending.length : undefined);

/**
 * A batch started without the pace: fixed limits, and calls that retry themselves. `--local-calls` runs one
 * wave at a time, of several rounds of `concurrency` calls that the worker's gate runs `concurrency` at a
 * time; otherwise `concurrency` activities run at once.
 */
function unpacedDispatch(run: BatchRun): Dispatch {
  const { carry, opts } = run;
  const calls = makeApiCalls(run.input, opts, carry.batchRun, hooksOf(run));
  const perActivity = opts.clientsPerActivity as number; // unpaced batches never chunk by 'auto'
  const canStart = () => !carry.paused && !carry.waitingForToken && run.inFlight < (opts.localCalls ? 1 : opts.concurrency);
  const sourceDone = () => carry.cursor === null && run.buffer.length === 0;
  const perStart = () => {
    if (opts.localCalls) return opts.concurrency * LOCAL_WAVE_ROUNDS;
    if (perActivity === 1) return 1;
    return chunkSize(perActivity, opts.concurrency, run.inFlight, leftToStart(run));
  };
  const start = (clients: ClientEntry[]) =>
    startIn(run, async () => {
      if (opts.localCalls) await calls.wave(clients);
      else await (clients.length === 1 && perActivity === 1 ? calls.single(clients[0]!) : calls.chunk(clients));
    });
  return {
    ready: () => canStart() && (carry.pending.length > 0 || !sourceDone()),
    finished: () => run.inFlight === 0 && carry.pending.length === 0 && sourceDone(),
    startNext() {
      if (carry.pending.length === 0 && run.buffer.length === 0) return false;
      start(carry.pending.length > 0 && canStart() ? carry.pending.splice(0, perStart()) : run.buffer.splice(0, perStart()));
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
function pacedDispatch(run: BatchRun): Dispatch {
  const { carry, opts } = run;
  const retrying = (carry.retrying ??= []);
  let probing = false;
  const calls = makeApiCalls(run.input, opts, carry.batchRun, {
    ...hooksOf(run),
    report: (report, probe) => (probe ? closeBreaker(run, report) : reportIn(run, report)),
    retryLater: (client, attempts, notBefore) => addRetrying(retrying, { client, attempts, notBefore }),
    callFirst(clients, attempts) {
      // Clients being retried keep their place among the retries; the others go back to the front of the page.
      run.buffer.unshift(...clients.filter((_, i) => !attempts[i]));
      clients.forEach((client, i) => attempts[i] && addRetrying(retrying, { client, attempts: attempts[i]!, notBefore: 0 }));
    },
  });
  const due = () => retrying.length > 0 && retrying[0]!.notBefore <= Date.now();
  const waiting = () => carry.pending.length > 0 || run.buffer.length > 0 || due();
  const mayAct = () => !carry.paused && !carry.waitingForToken;
  const canStart = () => mayAct() && !breakerOpen(run) && heldTill(run) === undefined && run.inFlight < (opts.localCalls ? 1 : limits(run).concurrency);
  const probeDue = () => breakerOpen(run) && !probing && mayAct() && (retrying.length > 0 || run.buffer.length > 0);

  /** The next clients: those due for a retry first, then those pending after an expiry, then the page's. */
  const take = (size: number) => {
    const clients: ClientEntry[] = [];
    const attempts: number[] = [];
    while (clients.length < size && due()) {
      const r = retrying.shift()!;
      clients.push(r.client);
      attempts.push(r.attempts);
    }
    for (const source of [carry.pending, run.buffer]) {
      const taken = source.splice(0, size - clients.length);
      clients.push(...taken);
      attempts.push(...taken.map(() => 0));
    }
    return { clients, attempts };
  };
  const sizeOfStart = () => {
    const { concurrency } = limits(run);
    if (opts.localCalls) return concurrency * LOCAL_WAVE_ROUNDS;
    const target = opts.clientsPerActivity === 'auto' ? autoChunk(run) : opts.clientsPerActivity;
    return target === 1 ? 1 : chunkSize(target, concurrency, run.inFlight, leftToStart(run));
  };
  const paceOfStart = (): Omit<PacedStart, 'clients' | 'attempts'> => {
    const { concurrency, rate } = limits(run);
    const pace = { epoch: paceOf(run).law.epoch, breaker: opts.breaker === 'on' };
    if (!rate) return { pace, concurrency };
    return { pace, concurrency, paceMs: Math.ceil((1000 * (opts.localCalls ? 1 : concurrency)) / rate), minGapMs: 1000 / rate };
  };
  const startProbe = () => {
    // The client longest waiting for its retry, else the next of the page; its failures in the outage cost it no attempt.
    const r = retrying.shift();
    const start = r ? { clients: [r.client], attempts: [r.attempts] } : { clients: run.buffer.splice(0, 1), attempts: [0] };
    const probe = { since: paceOf(run).breaker.openSince!, timeoutMs: probeTimeoutMs(opts.callTimeoutMs, paceOf(run).law.latency?.longMs) };
    probing = true;
    run.inFlight++;
    // A probe may wait out a long outage: cancelling the batch cancels it, and its client stays uncalled.
    void calls
      .paced({ ...start, ...paceOfStart(), probe })
      .catch((err: unknown) => {
        if (!isCancellation(err)) run.callError ??= err;
      })
      .finally(() => {
        probing = false;
        run.inFlight--;
      });
  };

  return {
    ready: () => probeDue() || (canStart() && (waiting() || carry.cursor !== null)),
    finished: () => run.inFlight === 0 && carry.pending.length === 0 && run.buffer.length === 0 && retrying.length === 0 && carry.cursor === null,
    startNext() {
      if (probeDue()) startProbe();
      else if (!waiting()) return false;
      else if (canStart()) {
        const start = { ...take(sizeOfStart()), ...paceOfStart() };
        startIn(run, () => (opts.localCalls ? calls.pacedWave(start) : calls.paced(start)));
      }
      return true;
    },
    wakeAt() {
      if (run.inFlight > 0 || !mayAct() || breakerOpen(run)) return undefined; // an answer, a signal or the probe wakes the batch
      const held = heldTill(run);
      if (held !== undefined) return held;
      return !waiting() && retrying.length > 0 ? retrying[0]!.notBefore : undefined;
    },
  };
}
