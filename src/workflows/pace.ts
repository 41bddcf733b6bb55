// The pace of a paced batch: the law fed by each chunk's report, the holds it keeps, and the circuit breaker
// that stops the batch while the API does not answer, probes it, and tells a person when an outage lasts.
// Deterministic code only.
import { CancellationScope, condition, log, proxySinks } from '@temporalio/workflow';
import type { PaceCarry, PaceReport, PaceView } from '../contract/pace';
import type { BatchOptions } from '../contract/options';
import { autoChunkSize, heldUntil, limitsNow, remember, restartAfterOutage, startPace, takeReport, type Ceilings } from '../domain/pace/pace-law';
import { paceView } from '../domain/pace/pace-view';
import type { MetricsSinks } from '../telemetry/metric-names';
import type { BatchRun } from './batch-run';
import { sendAlert } from './person-wait';

/** The largest chunk 'auto' makes: a chunk's claims are one transaction, its result one payload. */
export const MAX_AUTO_CHUNK = 500;

export const ceilingsOf = (opts: BatchOptions): Ceilings => ({ concurrency: opts.concurrency, rps: opts.rps, adaptive: opts.adaptive === 'on' });

/** The batch's pace, begun on its first use. */
export function paceOf(run: BatchRun): PaceCarry {
  return (run.carry.pace ??= { law: startPace(ceilingsOf(run.opts)), breaker: { probes: 0, alerted: false } });
}

/** The limits in force now, for dispatch: calls in flight, and calls per second (null: none). */
export const limits = (run: BatchRun) => limitsNow(paceOf(run).law, ceilingsOf(run.opts), Date.now());

/** Until when nothing may be sent (a Retry-After, a used-up quota); undefined: send. */
export const heldTill = (run: BatchRun) => heldUntil(paceOf(run).law, Date.now());

export const breakerOpen = (run: BatchRun) => paceOf(run).breaker.openSince !== undefined;

/** Clients for the next chunk of `--clients-per-activity auto`. */
export const autoChunk = (run: BatchRun) => autoChunkSize(paceOf(run).law, ceilingsOf(run.opts), Date.now(), MAX_AUTO_CHUNK);

export const paceViewOf = (run: BatchRun): PaceView => paceView(paceOf(run), ceilingsOf(run.opts), Date.now());

/** A chunk's report: the law learns from it, and an outage opens the breaker. */
export function reportIn(run: BatchRun, report: PaceReport): void {
  const pace = paceOf(run);
  if (report.outage && run.opts.breaker === 'on') {
    remember(pace.law, report, Date.now());
    openBreaker(run);
  } else {
    const backingOff = pace.law.backoff !== undefined;
    const cut = takeReport(pace.law, report, ceilingsOf(run.opts), Date.now());
    if (cut && !backingOff) log.info(`The API pushes back (${cut}); the pace backs off`, { batchId: run.batchId, ...limits(run) });
  }
  publishPace(run);
}

/** The API stopped answering: nothing goes out but the probe; a person hears of it if it lasts. */
function openBreaker(run: BatchRun): void {
  const { breaker } = paceOf(run);
  if (breaker.openSince !== undefined) return;
  breaker.openSince = Date.now();
  breaker.probes = 0;
  breaker.alerted = false;
  log.warn('The API does not answer; the batch stops sending and probes it', { batchId: run.batchId });
  run.publish();
  void CancellationScope.nonCancellable(() => alertIfItLasts(run, breaker.openSince!));
}

/** The probe got an answer: the batch resumes, slowly at first, as after any outage. */
export function closeBreaker(run: BatchRun, report: PaceReport | undefined): void {
  const pace = paceOf(run);
  const since = pace.breaker.openSince;
  if (since === undefined) return;
  if (report) remember(pace.law, report, Date.now());
  restartAfterOutage(pace.law, ceilingsOf(run.opts));
  pace.breaker.openSince = undefined;
  pace.breaker.probes += report?.calls ?? 0;
  const lasted = Math.round((Date.now() - since) / 1000);
  log.info(`The API answers again after ${lasted} s (${pace.breaker.probes} probes); the batch resumes`, { batchId: run.batchId });
  if (pace.breaker.alerted) void CancellationScope.nonCancellable(() => sendAlert(run, 'api-back', { reason: `after ${lasted} s`, since }));
  run.publish();
  publishPace(run);
}

/** An outage longer than the batch's alert interval is a person's business; so is its end. */
async function alertIfItLasts(run: BatchRun, since: number): Promise<void> {
  const { breaker } = paceOf(run);
  const ended = () => breaker.openSince !== since;
  if (await condition(ended, run.opts.notifyEveryMs)) return;
  breaker.alerted = true;
  await sendAlert(run, 'api-unavailable', { reason: 'timeouts, connection errors or 5xx on most calls', since });
}

/** The pace on the worker's metrics: a gauge per batch of its concurrency and rate, set when they change. */
export function publishPace(run: BatchRun, ended = false): void {
  const { concurrency, rate } = ended ? { concurrency: 0, rate: 0 } : limits(run);
  const key = `${concurrency}/${rate === null ? '' : Math.round(rate)}`;
  if (key === run.pacePublished) return;
  run.pacePublished = key;
  proxySinks<MetricsSinks>().metrics.pace(run.batchId, concurrency, rate ?? 0);
}
