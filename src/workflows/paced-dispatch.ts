// A paced batch's dispatch: as many starts in flight as the pace allows, each paced at its share of the rate;
// nothing while a hold lasts; the clients handed back, called again once due; and while the API does not
// answer, only the probe. Deterministic code only.
import { isCancellation } from '@temporalio/workflow';
import type { RetryingClient } from '../contract/batch-input';
import type { ClientEntry } from '../contract/sources';
import { probeTimeoutMs } from '../domain/pace/outage';
import { LOCAL_WAVE_ROUNDS, makeApiCalls, type PacedStart } from './api-calls';
import { chunkSize } from './chunk-sizing';
import { hooksOf, leftToStart, startIn } from './call-start';
import { heldByCanary, inCanary, nextNew } from './canary';
import type { Dispatch } from './dispatch';
import { autoChunk, breakerOpen, closeBreaker, heldTill, limits, paceOf, reportIn } from './pace';
import type { RunState } from './run-state';

/** Puts a client to retry in order of when it comes due. */
function addRetrying(retrying: RetryingClient[], entry: RetryingClient): void {
  let i = retrying.length;
  while (i > 0 && retrying[i - 1]!.notBefore > entry.notBefore) i--;
  retrying.splice(i, 0, entry);
}

export class PacedDispatch implements Dispatch {
  private readonly retrying: RetryingClient[];
  private readonly calls: ReturnType<typeof makeApiCalls>;
  private probing = false;

  constructor(private readonly state: RunState) {
    const { carry, opts } = state;
    const retrying = (this.retrying = carry.retrying ??= []);
    this.calls = makeApiCalls(state.input, opts, carry.batchRun, {
      ...hooksOf(state),
      report: (report, probe) => (probe ? closeBreaker(state, report) : reportIn(state, report)),
      retryLater: (client, attempts, notBefore) => addRetrying(retrying, { client, attempts, notBefore }),
      callFirst(clients, attempts) {
        // Clients being retried keep their place among the retries; the others go back to the front of the page.
        state.buffer.unshift(...clients.filter((_, i) => !attempts[i]));
        clients.forEach(
          (client, i) => attempts[i] && addRetrying(retrying, { client, attempts: attempts[i]!, notBefore: 0 }),
        );
      },
    });
  }

  ready(): boolean {
    const mayRead = this.state.carry.cursor !== null && !heldByCanary(this.state);
    return this.probeDue() || (this.canStart() && (this.waiting() || mayRead));
  }

  finished(): boolean {
    const { state } = this;
    return (
      state.inFlight === 0 &&
      state.carry.pending.length === 0 &&
      state.buffer.length === 0 &&
      this.retrying.length === 0 &&
      state.carry.cursor === null
    );
  }

  startNext(): boolean {
    if (this.probeDue()) this.startProbe();
    else if (!this.waiting())
      return heldByCanary(this.state); // held: no page is read past the canary
    else if (this.canStart()) {
      const start = { ...this.take(this.sizeOfStart()), ...this.paceOfStart() };
      startIn(this.state, () => (this.state.opts.localCalls ? this.calls.pacedWave(start) : this.calls.paced(start)));
    }
    return true;
  }

  wakeAt(): number | undefined {
    if (this.state.inFlight > 0 || !this.mayAct() || breakerOpen(this.state)) return undefined; // an answer, a signal or the probe wakes the batch
    const held = heldTill(this.state);
    if (held !== undefined) return held;
    return !this.waiting() && this.retrying.length > 0 ? this.retrying[0]!.notBefore : undefined;
  }

  private due(): boolean {
    return this.retrying.length > 0 && this.retrying[0]!.notBefore <= Date.now();
  }

  /** A client may start: one due for a retry, or a new one (of the canary's, while it runs). */
  private waiting(): boolean {
    return inCanary(this.state, nextNew(this.state)) || this.due();
  }

  private mayAct(): boolean {
    return !this.state.carry.paused && !this.state.carry.waitingForToken;
  }

  private canStart(): boolean {
    const { state } = this;
    const inFlightLimit = state.opts.localCalls ? 1 : limits(state).concurrency;
    return this.mayAct() && !breakerOpen(state) && heldTill(state) === undefined && state.inFlight < inFlightLimit;
  }

  private probeDue(): boolean {
    return (
      breakerOpen(this.state) &&
      !this.probing &&
      this.mayAct() &&
      (this.retrying.length > 0 || inCanary(this.state, this.state.buffer[0]))
    );
  }

  /** The next clients: those due for a retry first, then those pending after an expiry, then the page's. */
  private take(size: number): { clients: ClientEntry[]; attempts: number[] } {
    const clients: ClientEntry[] = [];
    const attempts: number[] = [];
    while (clients.length < size && this.due()) {
      const r = this.retrying.shift()!;
      clients.push(r.client);
      attempts.push(r.attempts);
    }
    const fresh: ClientEntry[] = [];
    for (const source of [this.state.carry.pending, this.state.buffer])
      while (clients.length + fresh.length < size && inCanary(this.state, source[0])) fresh.push(source.shift()!);
    clients.push(...fresh);
    attempts.push(...fresh.map(() => 0));
    return { clients, attempts };
  }

  private sizeOfStart(): number {
    const { state } = this;
    const { concurrency } = limits(state);
    if (state.opts.localCalls) return concurrency * LOCAL_WAVE_ROUNDS;
    const target = state.opts.clientsPerActivity === 'auto' ? autoChunk(state) : state.opts.clientsPerActivity;
    return target === 1 ? 1 : chunkSize(target, concurrency, state.inFlight, leftToStart(state));
  }

  /** The pace a start runs at: its epoch, whether the breaker judges, and its share of the rate. */
  private paceOfStart(): Omit<PacedStart, 'clients' | 'attempts'> {
    const { opts } = this.state;
    const { concurrency, rate } = limits(this.state);
    const pace = { epoch: paceOf(this.state).law.epoch, breaker: opts.breaker === 'on' };
    if (!rate) return { pace, concurrency };
    return {
      pace,
      concurrency,
      paceMs: Math.ceil((1000 * (opts.localCalls ? 1 : concurrency)) / rate),
      minGapMs: 1000 / rate,
    };
  }

  /**
   * The client longest waiting for its retry, else the next of the page: its failures in the outage cost it no attempt.
   */
  private startProbe(): void {
    const { state } = this;
    const r = this.retrying.shift();
    const start = r
      ? { clients: [r.client], attempts: [r.attempts] }
      : { clients: state.buffer.splice(0, 1), attempts: [0] };
    const probe = {
      since: paceOf(state).breaker.openSince!,
      timeoutMs: probeTimeoutMs(state.opts.callTimeoutMs, paceOf(state).law.latency?.longMs),
    };
    this.probing = true;
    state.inFlight++;
    // A probe may wait out a long outage: cancelling the batch cancels it, and its client stays uncalled.
    void this.calls
      .paced({ ...start, ...this.paceOfStart(), probe })
      .catch((err: unknown) => {
        if (!isCancellation(err)) state.callError ??= err;
      })
      .finally(() => {
        this.probing = false;
        state.inFlight--;
      });
  }
}
