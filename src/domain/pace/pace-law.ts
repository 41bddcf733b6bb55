// The pace law: how fast a batch calls the API, found from the API's own answers, below the ceilings a
// person sets. Pure and deterministic (time is passed in): the workflow runs it, the workers enforce it.
//
// Two limits, two signals:
// - Concurrency, as TCP's congestion window and Netflix's concurrency-limits treat it: slow start doubles it
//   each round of healthy answers, then it grows by one a round (AIMD). An overloaded API (503s, calls that
//   go unanswered) halves it, and latency that climbs to twice its long-term level cuts it by a quarter, as a
//   gradient limit does.
// - Rate, found only when the API pushes back (429, or a 503 with Retry-After). Then the rate is cut to 70% of
//   what was being sent, and grows back along CUBIC's curve: quickly at first, slowly near the rate that drew
//   the throttle, then probing beyond it. AWS's SDKs pace throttled calls the same way (adaptive retry mode).
//   A rate limiter answers by rate, not by concurrency: against a fast API even one call at a time can exceed it.
import type { PaceReport, PaceState } from '../../contract/pace';

/** The ceilings a person sets (`--concurrency`, `--rps`; 0: none), and whether the pace adapts below them. */
export interface Ceilings {
  concurrency: number;
  rps: number;
  adaptive: boolean;
}

export const LAW = {
  /** Calls in flight at the start: modest, then doubled each round of healthy answers. */
  startConcurrency: 4,
  /** A throttle cuts the rate to this share of the rate being sent (CUBIC's β). */
  beta: 0.7,
  /** CUBIC's scale: how fast the rate grows back, in calls/s per s³. */
  cubicC: 0.4,
  /** Latency climbs when its short-term average passes this many times its long-term one… */
  latencyTolerance: 2,
  /** …by at least this much (ms): a fast API's jitter is no climb. */
  latencySlackMs: 20,
  latencyCut: 0.75,
  overloadCut: 0.5,
  /** The window over which the send rate is measured at a throttle (ms). */
  rateWindowMs: 2000,
  minRate: 0.5,
  /** A backoff is over once no cut has come for this long (ms). */
  calmAfterMs: 30_000,
  /** The share of recent calls turned away (429) that cuts the rate. */
  throttledShare: 0.02,
} as const;

export function startPace(ceilings: Ceilings): PaceState {
  return {
    epoch: 0,
    phase: 'slow-start',
    concurrency: Math.min(ceilings.concurrency, LAW.startConcurrency),
    reportsThisRound: 0,
    recent: [],
  };
}

/** The limits in force at `now`: concurrency, and the rate in calls/s (null: none). */
export function limitsNow(s: PaceState, ceilings: Ceilings, now: number): { concurrency: number; rate: number | null } {
  if (!ceilings.adaptive) return { concurrency: ceilings.concurrency, rate: ceilings.rps || null };
  const rate = Math.min(
    s.rate ? cubicRate(s.rate, now) : Infinity,
    ceilings.rps || Infinity,
    s.apiRate ?? Infinity,
    quotaRate(s, now),
  );
  let concurrency = Math.min(Math.floor(s.concurrency), ceilings.concurrency);
  // Little's law: a rate needs only rate × latency calls in flight (twice that, for the latency's spread); more
  // would only split it into slivers, each chunk a few calls long.
  if (Number.isFinite(rate) && s.latency)
    concurrency = Math.min(concurrency, Math.max(2, Math.ceil((rate * s.latency.longMs * 2) / 1000)));
  return { concurrency: Math.max(1, concurrency), rate: Number.isFinite(rate) ? Math.max(LAW.minRate, rate) : null };
}

/** CUBIC's window as a rate: β × max right after the cut, back to max after K seconds, then beyond. */
function cubicRate(r: { max: number; cutAt: number }, now: number): number {
  const k = Math.cbrt((r.max * (1 - LAW.beta)) / LAW.cubicC);
  const t = (now - r.cutAt) / 1000;
  return Math.max(LAW.minRate, LAW.cubicC * (t - k) ** 3 + r.max);
}

/** What the API's quota leaves per second until it resets. */
function quotaRate(s: PaceState, now: number): number {
  if (!s.quota || s.quota.resetAt <= now) return Infinity;
  return s.quota.remaining / ((s.quota.resetAt - now) / 1000);
}

/**
 * Feeds one chunk's report to the law. Returns why it cut the pace, or null. Holds and the API's stated
 * limits are kept whatever the mode; with `adaptive` off the limits stay as the ceilings say.
 */
export function takeReport(s: PaceState, r: PaceReport, ceilings: Ceilings, now: number): string | null {
  remember(s, r, now);
  if (!ceilings.adaptive) return null;
  const cut = r.epoch === s.epoch ? cutFor(s, r) : null;
  if (cut) {
    applyCut(s, cut, ceilings, now);
    return cut;
  }
  grow(s, ceilings);
  if (s.backoff && now - s.backoff.last > LAW.calmAfterMs) s.backoff = undefined;
  return null;
}

/**
 * The signal in a report that calls for a cut, by strength; null: a healthy report. A throttle cuts once the
 * API pushes back on more than a sliver of the recent calls: a strict limiter turns the odd jittered pair of
 * calls away, and the rate it allows is not lower for that.
 */
function cutFor(s: PaceState, r: PaceReport): string | null {
  if (r.holdUntil !== undefined) return r.holdReason ?? 'Retry-After';
  if (r.throttled > 0 && throttledShare(s) >= LAW.throttledShare) return '429s';
  if (r.overloaded > 0) return '503s';
  if (r.calls > 0 && r.unavailable * 2 >= r.calls) return 'unanswered calls';
  const l = s.latency;
  if (l && l.reports >= 10 && l.shortMs > l.longMs * LAW.latencyTolerance + LAW.latencySlackMs) return 'latency';
  return null;
}

function applyCut(s: PaceState, reason: string, ceilings: Ceilings, now: number): void {
  s.epoch++;
  s.phase = 'avoidance';
  s.reportsThisRound = 0;
  if (reason === 'latency') s.concurrency = Math.max(1, Math.floor(s.concurrency * LAW.latencyCut));
  else if (reason === '503s' || reason === 'unanswered calls')
    s.concurrency = Math.max(1, Math.floor(s.concurrency * LAW.overloadCut));
  if (reason !== 'latency' && reason !== 'unanswered calls') {
    // A throttle (or an overload) says the API wants fewer calls per second than were sent.
    const { concurrency, rate: current } = limitsNow(s, ceilings, now);
    const sent = sendRate(s, now, concurrency);
    s.rate = {
      max: Math.max(LAW.minRate, sent > 0 ? Math.min(sent, current ?? sent) : (current ?? LAW.startConcurrency)),
      cutAt: now,
    };
  }
  s.backoff = { reason, since: s.backoff?.since ?? now, last: now };
}

/** Slow start doubles the concurrency each round (a report per slot); avoidance adds one. */
function grow(s: PaceState, ceilings: Ceilings): void {
  if (s.concurrency >= ceilings.concurrency) {
    s.concurrency = ceilings.concurrency;
    return;
  }
  if (++s.reportsThisRound < Math.floor(s.concurrency)) return;
  s.reportsThisRound = 0;
  s.concurrency = Math.min(ceilings.concurrency, s.phase === 'slow-start' ? s.concurrency * 2 : s.concurrency + 1);
}

/** After an outage the API is met as new: slow start again, and reports from before cut nothing. */
export function restartAfterOutage(s: PaceState, ceilings: Ceilings): void {
  s.epoch++;
  s.phase = 'slow-start';
  s.reportsThisRound = 0;
  s.concurrency = Math.min(ceilings.concurrency, LAW.startConcurrency);
  s.recent = [];
}

/** What every report teaches, adaptive or not: latency, the send rate, holds and the API's stated limits. */
export function remember(s: PaceState, r: PaceReport, now: number): void {
  if (r.latencyCount > 0) {
    const mean = r.latencySumMs / r.latencyCount;
    const perCall = r.calls > 0 ? Math.max(0.1, (r.lastAnsweredAt - r.firstSentAt) / r.calls) : mean;
    const l = (s.latency ??= { shortMs: mean, longMs: mean, perCallMs: perCall, reports: 0 });
    l.shortMs += 0.3 * (mean - l.shortMs);
    // The long-term average follows a fall quickly and a rise slowly: it stays near the API's unloaded latency.
    l.longMs += (mean < l.longMs ? 0.2 : 0.05) * (mean - l.longMs);
    l.perCallMs += 0.3 * (perCall - l.perCallMs);
    l.reports++;
  }
  if (r.calls > 0) {
    s.recent.push([r.lastAnsweredAt, r.calls, Math.max(1, r.lastAnsweredAt - r.firstSentAt), r.throttled]);
    s.recent = s.recent.filter(([end]) => end >= now - 2 * LAW.rateWindowMs).slice(-32);
  }
  if (r.holdUntil !== undefined && r.holdUntil > now && r.holdUntil > (s.hold?.until ?? 0)) {
    s.hold = { until: r.holdUntil, reason: r.holdReason ?? 'Retry-After' };
  }
  if (r.apiRate !== undefined) s.apiRate = r.apiRate;
  if (r.quota) s.quota = r.quota;
}

/**
 * Calls per second sent lately: each chunk calls one client after another, so the batch's rate is a chunk's
 * own (its calls over its span, over the reports of the last window) times the chunks running side by side.
 */
export function sendRate(s: PaceState, now: number, parallel: number): number {
  const lately = s.recent.filter(([end]) => end >= now - LAW.rateWindowMs);
  const calls = lately.reduce((n, [, c]) => n + c, 0);
  const spanMs = lately.reduce((n, [, , span]) => n + span, 0);
  return spanMs > 0 ? (calls / spanMs) * 1000 * Math.max(1, parallel) : 0;
}

/** The share of the last window's calls that the API turned away. */
function throttledShare(s: PaceState): number {
  const last = s.recent.at(-1)?.[0] ?? 0;
  const lately = s.recent.filter(([end]) => end >= last - LAW.rateWindowMs);
  const calls = lately.reduce((n, [, c]) => n + c, 0);
  return calls > 0 ? lately.reduce((n, [, , , t]) => n + t, 0) / calls : 0;
}

/** Whether sending must wait, and until when (ms since epoch). */
export function heldUntil(s: PaceState, now: number): number | undefined {
  return s.hold && s.hold.until > now ? s.hold.until : undefined;
}

/**
 * Clients per chunk when `--clients-per-activity auto`: about a second of calls at the measured time per
 * call, so an activity's own cost is paid once a second per slot; a quarter second while slow start grows,
 * so that its rounds come quickly.
 */
export function autoChunkSize(s: PaceState, ceilings: Ceilings, now: number, max: number): number {
  const { concurrency, rate } = limitsNow(s, ceilings, now);
  const perCallMs = Math.max(s.latency?.perCallMs ?? 50, rate ? (1000 * concurrency) / rate : 0, 0.2);
  const targetMs = s.phase === 'slow-start' && s.concurrency < ceilings.concurrency ? 250 : 1000;
  return Math.max(1, Math.min(max, Math.round(targetMs / perCallMs)));
}
