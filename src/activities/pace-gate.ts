import { OutageWindow } from '../domain/pace/outage';
import type { BatchKey, ResultsStore } from '../store/results-store';

/**
 * How long a worker trusts what it last read of a batch's hold in the store: another worker's hold reaches it within
 * this.
 */
const HOLD_READ_EVERY_MS = 100;

/**
 * The reason of the short hold a worker puts on a batch when the API seems down, until the workflow's breaker takes
 * over.
 */
export const OUTAGE_HOLD_REASON = 'API unavailable';

interface BatchSending {
  hold?: { until: number; reason: string };
  readAt: number;
  outage: OutageWindow;
}

/**
 * One worker's view of each paced batch's sending: the holds (a Retry-After, a used-up quota, an outage)
 * that stop every call of the batch at once, and the recent answers that tell an outage. A hold met here is
 * written to the results store, which every worker of the batch shares, and each worker reads it there at
 * most every 100 ms: a Retry-After stops the whole batch, not only the worker that got it.
 */
export class PaceGate {
  private readonly batches = new Map<string, BatchSending>();

  constructor(private readonly store: Pick<ResultsStore, 'hold' | 'setHold'>) {}

  private of(key: BatchKey): BatchSending {
    const k = `${key.firstRunId}/${key.id}`;
    let b = this.batches.get(k);
    if (!b) {
      b = { readAt: 0, outage: new OutageWindow() };
      this.batches.set(k, b);
      if (this.batches.size > 1000) this.batches.delete(this.batches.keys().next().value!); // forget long-finished batches
    }
    return b;
  }

  /** The hold in force on the batch at `now`, this worker's or another's; undefined: send. */
  async holdOf(key: BatchKey, now = Date.now()): Promise<{ until: number; reason: string } | undefined> {
    const b = this.of(key);
    if (now - b.readAt >= HOLD_READ_EVERY_MS) {
      b.readAt = now;
      const stored = await this.store.hold(key);
      if (stored && stored.untilMs > (b.hold?.until ?? 0)) b.hold = { until: stored.untilMs, reason: stored.reason };
    }
    return b.hold && b.hold.until > now ? b.hold : undefined;
  }

  /**
   * Holds the batch's sending until `until` (ms since epoch), on this worker at once and on the others through the
   * store.
   */
  async hold(key: BatchKey, until: number, reason: string): Promise<void> {
    const b = this.of(key);
    if (until <= (b.hold?.until ?? 0)) return;
    b.hold = { until, reason };
    await this.store.setHold(key, until, reason);
  }

  /**
   * One answer of the batch: whether it failed as an outage would, for which client, and on its first attempt or not.
   */
  note(key: BatchKey, at: number, failed: boolean, clientId: string, firstAttempt: boolean): void {
    this.of(key).outage.add({ at, failed, clientId, firstAttempt });
  }

  /** Whether the API seems down for this batch, judged from this worker's recent answers. */
  suspectsOutage(key: BatchKey, now = Date.now()): boolean {
    return this.of(key).outage.suspects(now);
  }

  /** When the batch's current run of failures began on this worker. */
  failingSince(key: BatchKey): number | undefined {
    return this.of(key).outage.failingSince();
  }
}
