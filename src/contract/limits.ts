// The limits a person sets on a batch, as `set` changes them and `status` shows them. Data and text only.
import { OPTION_TABLE, valueRefusal } from './option-table';
import type { Counters } from './batch-input';
import type { BatchOptions, Limits, LimitsChange, MaxFailures } from './options';

/** `5` or `2.5%`, as `--max-failures` shows it. */
export function maxFailuresText(m: MaxFailures | null): string {
  if (!m) return 'none';
  return 'count' in m ? `${m.count}` : `${m.percent}%`;
}

/**
 * Why a `set` should be refused, or null: each value checked as the option table says; a batch started without the pace
 * has none to change.
 */
export function limitsChangeRefusal(change: LimitsChange, paced = true): string | null {
  if (!paced && (change.adaptive !== undefined || change.breaker !== undefined)) {
    return 'this batch was started by a clientsync without the adaptive pace: its --adaptive and --breaker cannot change';
  }
  for (const row of OPTION_TABLE) {
    const value = change[row.option as keyof LimitsChange];
    if (value === undefined) continue;
    if (!row.settable) return `--${row.flag} cannot change while the batch runs`;
    const wanted = valueRefusal(row.type, value);
    if (wanted) return `--${row.flag} must be ${wanted}`;
  }
  return null;
}

/** The limits in force; a batch started without the pace has fixed limits and no breaker, and says nothing of them. */
export function limitsOf(opts: BatchOptions): Limits {
  const { concurrency, rps, maxFailures, minSample, onMaxFailures } = opts;
  return {
    concurrency,
    rps,
    ...(opts.paced ? { adaptive: opts.adaptive, breaker: opts.breaker } : {}),
    maxFailures,
    minSample,
    onMaxFailures,
  };
}

/** `concurrency 32, 20 calls/s, pace adaptive, breaker on, max failures 5% after 100`, for status and set's reply. */
export function limitsLine(l: Limits): string {
  const rps = l.rps ? `${l.rps} calls/s` : 'no rate limit';
  const after = l.maxFailures && 'percent' in l.maxFailures ? ` after ${l.minSample}` : '';
  const then = l.maxFailures ? `, then ${l.onMaxFailures}` : '';
  const pace =
    l.adaptive === undefined ? '' : `, pace ${l.adaptive === 'on' ? 'adaptive' : 'fixed'}, breaker ${l.breaker}`;
  return `concurrency ${l.concurrency}, ${rps}${pace}, max failures ${maxFailuresText(l.maxFailures)}${after}${then}`;
}

/**
 * Why the batch trips (failed clients exceed the threshold, strictly), or null. A percentage counts the
 * clients processed so far, once `minSample` of them are; token problems never fail a client, so never count.
 */
export function failureThresholdTrip(
  c: Counters,
  opts: Pick<BatchOptions, 'maxFailures' | 'minSample'>,
): string | null {
  const m = opts.maxFailures;
  if (!m) return null;
  const processed = c.succeeded + c.failed;
  if ('count' in m)
    return c.failed > m.count ? `${c.failed} clients failed, more than --max-failures ${m.count}` : null;
  if (processed < opts.minSample) return null;
  const rate = (100 * c.failed) / processed;
  return rate > m.percent
    ? `${c.failed} of ${processed} clients failed (${rate.toFixed(1)}%), more than --max-failures ${m.percent}%`
    : null;
}
