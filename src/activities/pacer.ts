/**
 * Spaces the calls of one batch on this worker at least `gapMs` apart. The workflow already gives each
 * call a start slot 1/rps apart; this removes the bunching when several slots reach the worker late together.
 */
export class Pacer {
  private readonly next = new Map<string, number>();

  /** How long the caller must wait before calling: at least until `notBefore`, and `gapMs` after the last call. */
  reserve(key: string, notBefore: number, gapMs: number, now = Date.now()): number {
    const at = Math.max(now, notBefore, this.next.get(key) ?? 0);
    this.next.set(key, at + gapMs);
    if (this.next.size > 1000) this.next.delete(this.next.keys().next().value!); // forget long-finished batches
    return at - now;
  }
}
