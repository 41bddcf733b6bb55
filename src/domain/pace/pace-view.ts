// The pace as people read it: `status`, `status --json` and Temporal Web. Pure.
import type { PaceCarry, PaceView } from '../../contract/pace';
import { probeIntervalMs } from './outage';
import { heldUntil, limitsNow, sendRate, type Ceilings } from './pace-law';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const round = (n: number) => Math.round(n * 10) / 10;

export function paceView(pace: PaceCarry, ceilings: Ceilings, now: number): PaceView {
  const { law, breaker } = pace;
  const { concurrency, rate } = limitsNow(law, ceilings, now);
  const hold = heldUntil(law, now);
  const state: PaceView['state'] =
    breaker.openSince !== undefined
      ? 'api-unavailable'
      : hold !== undefined
        ? 'holding'
        : !ceilings.adaptive
          ? 'fixed'
          : law.backoff
            ? 'backing-off'
            : concurrency < ceilings.concurrency && (rate === null || rate < (ceilings.rps || Infinity))
              ? 'growing'
              : 'steady';
  return {
    adaptive: ceilings.adaptive,
    state,
    callsPerSecond: round(sendRate(law, now, concurrency)),
    rate: rate === null ? null : round(rate),
    rateCeiling: ceilings.rps || null,
    concurrency,
    concurrencyCeiling: ceilings.concurrency,
    reason: state === 'holding' ? law.hold!.reason : (law.backoff?.reason ?? null),
    since: iso(law.backoff?.since),
    holdUntil: iso(hold),
    apiUnavailableSince: iso(breaker.openSince),
    probeEverySeconds: breaker.openSince === undefined ? null : round(probeIntervalMs(now - breaker.openSince) / 1000),
    apiRate: law.apiRate === undefined ? null : round(law.apiRate),
  };
}

const clock = (isoTime: string) => isoTime.slice(11, 19);

/**
 * One line: `38/s of 100 · concurrency 8 of 32 · backing off since 12:04:10 (429s)`, or while the API does
 * not answer, `API unavailable since 02:13:05 · probing every 4 s · 0 clients failed`.
 */
export function paceLine(v: PaceView, failed: number): string {
  if (v.apiUnavailableSince)
    return `API unavailable since ${clock(v.apiUnavailableSince)} · probing every ${Math.round(v.probeEverySeconds ?? 1)} s · ${failed} clients failed`;
  const rate = v.rate === null ? `${v.callsPerSecond}/s` : `${v.rate}/s`;
  const of = v.rateCeiling === null ? (v.rate === null ? ', no rate limit found' : '') : ` of ${v.rateCeiling}`;
  const head = `${rate}${of} · concurrency ${v.concurrency} of ${v.concurrencyCeiling}`;
  switch (v.state) {
    case 'holding':
      return `${head} · holding until ${clock(v.holdUntil!)} (${v.reason})`;
    case 'backing-off':
      return `${head} · backing off since ${clock(v.since!)} (${v.reason})`;
    case 'fixed':
      return `${head} · fixed (--adaptive off)`;
    default:
      return `${head} · ${v.state}${v.apiRate === null ? '' : ` · the API allows ${v.apiRate}/s`}`;
  }
}
