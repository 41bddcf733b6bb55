import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PaceReport, PaceState } from '../../src/contract/pace';
import {
  autoChunkSize,
  heldUntil,
  LAW,
  limitsNow,
  restartAfterOutage,
  sendRate,
  startPace,
  takeReport,
  type Ceilings,
} from '../../src/domain/pace/pace-law';
import { paceLine, paceView } from '../../src/domain/pace/pace-view';

const ceilings: Ceilings = { concurrency: 32, rps: 0, adaptive: true };
const T0 = 1_800_000_000_000;

/** A chunk's report: `calls` calls over `spanMs` ending at `end`, some of them turned away or unanswered. */
function report(s: PaceState, end: number, over: Partial<PaceReport> = {}): PaceReport {
  const calls = over.calls ?? 20;
  const spanMs = 1000;
  return {
    epoch: s.epoch,
    calls,
    throttled: 0,
    overloaded: 0,
    unavailable: 0,
    latencySumMs: 50 * calls,
    latencyCount: calls,
    firstSentAt: end - spanMs,
    lastAnsweredAt: end,
    ...over,
  };
}

describe('the pace law', () => {
  it('starts modestly and doubles its concurrency each round of healthy answers, up to the ceiling', () => {
    const s = startPace(ceilings);
    expect(limitsNow(s, ceilings, T0)).toEqual({ concurrency: 4, rate: null });
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) {
      takeReport(s, report(s, T0 + i * 100), ceilings, T0 + i * 100);
      seen.push(limitsNow(s, ceilings, T0 + i * 100).concurrency);
    }
    expect([...new Set(seen)]).toEqual([4, 8, 16, 32]);
  });

  it('finds a rate at the first sliver of 429s, cut to 70% of what was sent, and grows back along CUBIC', () => {
    const s = startPace(ceilings);
    // Four chunks of 20 calls a second each, side by side: about 80 calls/s; a few turned away.
    for (let i = 0; i < 8; i++) takeReport(s, report(s, T0 + i * 250), ceilings, T0 + i * 250);
    expect(takeReport(s, report(s, T0 + 2000, { throttled: 5 }), ceilings, T0 + 2000)).toBe('429s'); // 5 of 180 calls in 2 s
    const cut = limitsNow(s, ceilings, T0 + 2000).rate!;
    expect(cut / s.rate!.max).toBeCloseTo(LAW.beta, 5);
    // Back to what drew the cut after K seconds, then beyond it.
    const k = Math.cbrt((s.rate!.max * (1 - LAW.beta)) / LAW.cubicC) * 1000;
    expect(limitsNow(s, ceilings, T0 + 2000 + k).rate!).toBeCloseTo(s.rate!.max, 5);
    expect(limitsNow(s, ceilings, T0 + 2000 + 3 * k).rate!).toBeGreaterThan(s.rate!.max);
    expect(paceView({ law: s, breaker: { probes: 0, alerted: false } }, ceilings, T0 + 2100)).toMatchObject({
      state: 'backing-off',
      reason: '429s',
    });
  });

  it('takes the odd 429 among many answers as a strict limiter’s jitter, not a cut', () => {
    const s = startPace(ceilings);
    for (let i = 0; i < 8; i++) takeReport(s, report(s, T0 + i * 250, { calls: 40 }), ceilings, T0 + i * 250);
    expect(takeReport(s, report(s, T0 + 2000, { calls: 40, throttled: 1 }), ceilings, T0 + 2000)).toBeNull();
  });

  it('cuts once per epoch: reports from chunks started before a cut do not cut again', () => {
    const s = startPace(ceilings);
    const before = report(s, T0, { throttled: 10 });
    takeReport(s, before, ceilings, T0);
    const rate = limitsNow(s, ceilings, T0).rate;
    expect(takeReport(s, { ...before, lastAnsweredAt: T0 + 50 }, ceilings, T0 + 50)).toBeNull();
    expect(limitsNow(s, ceilings, T0 + 50).rate! - rate!).toBeLessThan(1);
  });

  it('halves its concurrency when the API is overloaded, and cuts it by a quarter when latency climbs', () => {
    const s = startPace(ceilings);
    for (let i = 0; i < 40; i++) takeReport(s, report(s, T0 + i * 100), ceilings, T0 + i * 100);
    expect(takeReport(s, report(s, T0 + 4000, { overloaded: 3 }), ceilings, T0 + 4000)).toBe('503s');
    expect(s.concurrency).toBe(16);
    let cut: string | null = null;
    for (let i = 0; i < 10 && !cut; i++)
      cut = takeReport(s, report(s, T0 + 5000 + i * 100, { latencySumMs: 400 * 20 }), ceilings, T0 + 5000 + i * 100);
    expect(cut).toBe('latency');
    expect(s.concurrency).toBe(12);
  });

  it('holds every call for a Retry-After, and keeps to the rate an API states', () => {
    const s = startPace(ceilings);
    takeReport(s, report(s, T0, { throttled: 1, holdUntil: T0 + 5000, holdReason: 'Retry-After' }), ceilings, T0);
    expect(heldUntil(s, T0 + 4999)).toBe(T0 + 5000);
    expect(heldUntil(s, T0 + 5000)).toBeUndefined();
    takeReport(s, report(s, T0 + 6000, { apiRate: 50 }), ceilings, T0 + 6000);
    expect(limitsNow(s, ceilings, T0 + 600_000).rate).toBe(50);
  });

  it('keeps its ceilings whatever the API says, and with --adaptive off keeps the ceilings as the limits', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            throttled: fc.nat(5),
            overloaded: fc.nat(3),
            unavailable: fc.nat(20),
            latency: fc.integer({ min: 1, max: 2000 }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 500 }),
        (reports, concurrency, rps) => {
          const c: Ceilings = { concurrency, rps, adaptive: true };
          const s = startPace(c);
          reports.forEach((r, i) => {
            const at = T0 + i * 300;
            takeReport(
              s,
              report(s, at, {
                throttled: r.throttled,
                overloaded: r.overloaded,
                unavailable: r.unavailable,
                latencySumMs: r.latency * 20,
              }),
              c,
              at,
            );
            const l = limitsNow(s, c, at);
            expect(l.concurrency).toBeGreaterThanOrEqual(1);
            expect(l.concurrency).toBeLessThanOrEqual(concurrency);
            if (rps) expect(l.rate!).toBeLessThanOrEqual(rps);
            expect(autoChunkSize(s, c, at, 500)).toBeGreaterThanOrEqual(1);
          });
        },
      ),
    );
    const fixed: Ceilings = { concurrency: 8, rps: 20, adaptive: false };
    const s = startPace(fixed);
    takeReport(s, report(s, T0, { throttled: 20 }), fixed, T0);
    expect(limitsNow(s, fixed, T0)).toEqual({ concurrency: 8, rate: 20 });
  });

  it('measures the rate sent as a chunk’s own times the chunks side by side', () => {
    const s = startPace(ceilings);
    for (let i = 0; i < 4; i++) takeReport(s, report(s, T0 + i * 250, { calls: 25 }), ceilings, T0 + i * 250);
    expect(sendRate(s, T0 + 750, 4)).toBeCloseTo(100, 5);
  });

  it('sizes auto chunks to about a second of calls, a quarter of one while slow start grows', () => {
    const s = startPace(ceilings);
    expect(autoChunkSize(s, ceilings, T0, 500)).toBe(5); // 250 ms at an assumed 50 ms a call
    for (let i = 0; i < 40; i++) takeReport(s, report(s, T0 + i * 100), ceilings, T0 + i * 100);
    expect(autoChunkSize(s, ceilings, T0 + 4000, 500)).toBe(20); // 1 s at 50 ms a call
    restartAfterOutage(s, ceilings);
    expect(limitsNow(s, ceilings, T0 + 5000).concurrency).toBe(4);
  });
});

describe('the pace as people read it', () => {
  it('says the rate against its ceiling and why it backs off, or that the API does not answer', () => {
    const base = {
      adaptive: true,
      callsPerSecond: 38,
      concurrency: 8,
      concurrencyCeiling: 32,
      holdUntil: null,
      apiUnavailableSince: null,
      probeEverySeconds: null,
      apiRate: null,
    };
    expect(
      paceLine(
        {
          ...base,
          state: 'backing-off',
          rate: 38,
          rateCeiling: 100,
          reason: '429s',
          since: '2026-12-02T12:04:10.000Z',
        },
        0,
      ),
    ).toBe('38/s of 100 · concurrency 8 of 32 · backing off since 12:04:10 (429s)');
    expect(
      paceLine(
        {
          ...base,
          state: 'api-unavailable',
          rate: null,
          rateCeiling: null,
          reason: null,
          since: null,
          apiUnavailableSince: '2026-12-02T02:13:05.000Z',
          probeEverySeconds: 30,
        },
        0,
      ),
    ).toBe('API unavailable since 02:13:05 · probing every 30 s · 0 clients failed');
    expect(paceLine({ ...base, state: 'growing', rate: null, rateCeiling: null, reason: null, since: null }, 0)).toBe(
      '38/s, no rate limit found · concurrency 8 of 32 · growing',
    );
  });
});
