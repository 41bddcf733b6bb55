// What one chunk of calls saw of the API, tallied into the report the pace law reads. Pure.
import type { PaceReport } from '../../contract/pace';
import type { RateFacts } from './rate-headers';

/**
 * How an answer bears on the pace: the API answered (whatever it said of the client); it asked for less
 * (429, or 503 with Retry-After); it was overloaded (503); or it did not answer (a timeout, a connection
 * error, another 5xx).
 */
export type AnswerKind = 'answered' | 'throttled' | 'overloaded' | 'unavailable';

export function answerKind(status: number | null, retried: boolean, retryAfterMs: number | undefined): AnswerKind {
  if (status === 429) return 'throttled';
  if (status === 503) return retryAfterMs === undefined ? 'overloaded' : 'throttled';
  return retried ? 'unavailable' : 'answered';
}

/** The reason a hold gives in status: what the API said. */
export const HOLD_REASONS = { retryAfter: 'Retry-After', quota: 'RateLimit quota used up' } as const;

export class PaceTally {
  private readonly r: PaceReport;

  constructor(epoch: number) {
    this.r = {
      epoch,
      calls: 0,
      throttled: 0,
      overloaded: 0,
      unavailable: 0,
      latencySumMs: 0,
      latencyCount: 0,
      firstSentAt: 0,
      lastAnsweredAt: 0,
    };
  }

  /** A request goes out at `at`. */
  sent(at: number): void {
    this.r.calls++;
    if (this.r.firstSentAt === 0) this.r.firstSentAt = at;
  }

  /** Its answer (or its absence) came at `at`. */
  answered(kind: AnswerKind, at: number, latencyMs: number | undefined, rate: RateFacts | undefined): void {
    const r = this.r;
    r.lastAnsweredAt = at;
    if (kind !== 'answered') r[kind]++;
    if (latencyMs !== undefined && kind !== 'unavailable') {
      r.latencySumMs += latencyMs;
      r.latencyCount++;
    }
    if (rate?.apiRate !== undefined) r.apiRate = rate.apiRate;
    if (rate?.remaining !== undefined && rate.resetMs !== undefined)
      r.quota = { remaining: rate.remaining, resetAt: at + rate.resetMs };
  }

  hold(until: number, reason: string): void {
    if (until <= (this.r.holdUntil ?? 0)) return;
    this.r.holdUntil = until;
    this.r.holdReason = reason;
  }

  outage(): void {
    this.r.outage = true;
  }

  report(): PaceReport {
    return { ...this.r };
  }
}
