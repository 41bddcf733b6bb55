/** The most calls in any window of `windowMs`, as calls per second; `times` sorted, in ms. */
export function busiestRate(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best / (windowMs / 1000);
}
