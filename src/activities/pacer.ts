/**
 * Spaces the calls of one batch on this worker at least `gapMs` apart. The workflow already gives each call
 * (or chunk) its place in the batch's pace; this removes the bunching when several reach the worker together.
 */
export class Pacer {
  private readonly last = new Map<string, number>();

  /**
   * How long the caller must wait before calling: at least until `notBefore`, and `gapMs` after the batch's
   * last call here. The gap is the caller's: a pace just cut spaces the very next call by its new gap.
   */
  reserve(key: string, notBefore: number, gapMs: number, now = Date.now()): number {
    const at = Math.max(now, notBefore, (this.last.get(key) ?? -Infinity) + gapMs);
    this.last.delete(key); // re-inserted last: the oldest batches are forgotten first
    this.last.set(key, at);
    if (this.last.size > 1000) this.last.delete(this.last.keys().next().value!);
    return at - now;
  }
}
