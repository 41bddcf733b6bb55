// The pace of a paced batch: the law fed by each chunk's report, the holds it keeps, and the circuit breaker
// that stops the batch while the API does not answer, probes it, and tells a person when an outage lasts.
// Deterministic code only.
import { CancellationScope, condition, log, proxySinks } from '@temporalio/workflow';
import type { PaceCarry, PaceReport, PaceView } from '../contract/pace';
import type { BatchOptions } from '../contract/options';
import {
  autoChunkSize,
  heldUntil,
  limitsNow,
  remember,
  restartAfterOutage,
  startPace,
  takeReport,
  type Ceilings,
} from '../domain/pace/pace-law';
import { paceView } from '../domain/pace/pace-view';
import type { MetricsSinks } from '../telemetry/metric-names';
import type { RunState } from './run-state';
import { sendAlert } from './person-wait';

/** The largest chunk 'auto' makes: a chunk's claims are one transaction, its result one payload. */
export const MAX_AUTO_CHUNK = 500;

export const ceilingsOf = (opts: BatchOptions): Ceilings => ({
  concurrency: opts.concurrency,
  rps: opts.rps,
  adaptive: opts.adaptive === 'on',
});

/** The batch's pace, begun on its first use. */
export function paceOf(state: RunState): PaceCarry {
  return (state.carry.pace ??= { law: startPace(ceilingsOf(state.opts)), breaker: { probes: 0, alerted: false } });
}

/** The limits in force now, for dispatch: calls in flight, and calls per second (null: none). */
export const limits = (state: RunState) => limitsNow(paceOf(state).law, ceilingsOf(state.opts), Date.now());

/** Until when nothing may be sent (a Retry-After, a used-up quota); undefined: send. */
export const heldTill = (state: RunState) => heldUntil(paceOf(state).law, Date.now());

export const breakerOpen = (state: RunState) => paceOf(state).breaker.openSince !== undefined;

/** Clients for the next chunk of `--clients-per-activity auto`. */
export const autoChunk = (state: RunState) =>
  autoChunkSize(paceOf(state).law, ceilingsOf(state.opts), Date.now(), MAX_AUTO_CHUNK);

export const paceViewOf = (state: RunState): PaceView => paceView(paceOf(state), ceilingsOf(state.opts), Date.now());

/** A chunk's report: the law learns from it, and an outage opens the breaker. */
export function reportIn(state: RunState, report: PaceReport): void {
  const pace = paceOf(state);
  if (report.outage && state.opts.breaker === 'on') {
    remember(pace.law, report, Date.now());
    openBreaker(state);
  } else {
    const backingOff = pace.law.backoff !== undefined;
    const cut = takeReport(pace.law, report, ceilingsOf(state.opts), Date.now());
    if (cut && !backingOff)
      log.info(`The API pushes back (${cut}); the pace backs off`, { batchId: state.batchId, ...limits(state) });
  }
  publishPace(state);
}

/** The API stopped answering: nothing goes out but the probe; a person hears of it if it lasts. */
function openBreaker(state: RunState): void {
  const { breaker } = paceOf(state);
  if (breaker.openSince !== undefined) return;
  breaker.openSince = Date.now();
  breaker.probes = 0;
  breaker.alerted = false;
  log.warn('The API does not answer; the batch stops sending and probes it', { batchId: state.batchId });
  state.publish();
  void CancellationScope.nonCancellable(() => alertIfItLasts(state, breaker.openSince!));
}

/** The probe got an answer: the batch resumes, slowly at first, as after any outage. */
export function closeBreaker(state: RunState, report: PaceReport | undefined): void {
  const pace = paceOf(state);
  const since = pace.breaker.openSince;
  if (since === undefined) return;
  if (report) remember(pace.law, report, Date.now());
  restartAfterOutage(pace.law, ceilingsOf(state.opts));
  pace.breaker.openSince = undefined;
  pace.breaker.probes += report?.calls ?? 0;
  const lasted = Math.round((Date.now() - since) / 1000);
  log.info(`The API answers again after ${lasted} s (${pace.breaker.probes} probes); the batch resumes`, {
    batchId: state.batchId,
  });
  if (pace.breaker.alerted)
    void CancellationScope.nonCancellable(() => sendAlert(state, 'api-back', { reason: `after ${lasted} s`, since }));
  state.publish();
  publishPace(state);
}

/** An outage longer than the batch's alert interval is a person's business; so is its end. */
async function alertIfItLasts(state: RunState, since: number): Promise<void> {
  const { breaker } = paceOf(state);
  const ended = () => breaker.openSince !== since;
  if (await condition(ended, state.opts.notifyEveryMs)) return;
  breaker.alerted = true;
  await sendAlert(state, 'api-unavailable', { reason: 'timeouts, connection errors or 5xx on most calls', since });
}

/** The pace on the worker's metrics: a gauge per batch of its concurrency and rate, set when they change. */
export function publishPace(state: RunState, ended = false): void {
  const { concurrency, rate } = ended ? { concurrency: 0, rate: 0 } : limits(state);
  const key = `${concurrency}/${rate === null ? '' : Math.round(rate)}`;
  if (key === state.pacePublished) return;
  state.pacePublished = key;
  proxySinks<MetricsSinks>().metrics.pace(state.batchId, concurrency, rate ?? 0);
}
