import { describe, expect, it } from 'vitest';
import { OutageWindow, probeIntervalMs, probeTimeoutMs } from '../../src/domain/pace/outage';
import { answerKind, PaceTally } from '../../src/domain/pace/pace-tally';
import { rateFacts } from '../../src/domain/pace/rate-headers';

const NOW = 1_800_000_000_000;

describe('the limits an API states in its headers', () => {
  it.each([
    [
      'the current draft',
      { 'ratelimit-policy': '"burst";q=100;w=60, "default";q=50;w=1', ratelimit: '"default";r=10;t=4' },
      { apiRate: 100 / 60, remaining: 10, resetMs: 4000 },
    ],
    [
      'drafts up to 7',
      { 'ratelimit-policy': '10;w=1, 50;w=60', 'ratelimit-remaining': '3', 'ratelimit-reset': '2' },
      { apiRate: 50 / 60, remaining: 3, resetMs: 2000 },
    ],
    ['draft 7 as one field', { ratelimit: 'limit=100, remaining=0, reset=7' }, { remaining: 0, resetMs: 7000 }],
    [
      'X-RateLimit, reset in seconds',
      { 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '30' },
      { remaining: 12, resetMs: 30_000 },
    ],
    [
      'X-RateLimit, reset as a Unix time (GitHub)',
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 9) },
      { remaining: 0, resetMs: 9000 },
    ],
    ['a policy in another unit', { 'ratelimit-policy': '"bytes";q=1000;w=1;qu="content-bytes"' }, {}],
    ['malformed fields', { 'ratelimit-policy': '"a;q=', ratelimit: ';;;', 'x-ratelimit-remaining': 'many' }, {}],
  ])('reads %s', (_, headers, facts) => {
    expect(rateFacts(headers, NOW)).toEqual(facts);
  });
});

describe('telling an outage from a few clients’ own troubles', () => {
  const fail = (w: OutageWindow, at: number, clientId: string, firstAttempt = true) =>
    w.add({ at, failed: true, clientId, firstAttempt });

  it('suspects one once most recent answers failed, from first attempts of three clients', () => {
    const w = new OutageWindow();
    w.add({ at: NOW, failed: false, clientId: 'a', firstAttempt: true });
    fail(w, NOW + 1, 'b');
    fail(w, NOW + 2, 'c');
    expect(w.suspects(NOW + 2)).toBe(false);
    fail(w, NOW + 3, 'd');
    expect(w.suspects(NOW + 3)).toBe(false); // 3 of 4 failed: not most
    fail(w, NOW + 4, 'e');
    expect(w.suspects(NOW + 4)).toBe(true);
    expect(w.failingSince()).toBe(NOW + 1);
  });

  it('never takes clients already being retried, one after another, for an outage', () => {
    const w = new OutageWindow();
    for (let i = 0; i < 10; i++) fail(w, NOW + i, i % 2 ? 'x' : 'y', false);
    expect(w.suspects(NOW + 10)).toBe(false);
  });

  it('probes a second apart at first, a second more for each minute of the outage, up to 30 s', () => {
    expect([0, 60_000, 180_000, 3_600_000].map(probeIntervalMs)).toEqual([1000, 2000, 4000, 30_000]);
    expect(probeTimeoutMs(15_000, 50)).toBe(5000);
    expect(probeTimeoutMs(15_000, 4000)).toBe(12_000);
  });
});

describe('a chunk’s report', () => {
  it('tells 429s and 503s with Retry-After (the API asks for less) from 503s, timeouts and other 5xx', () => {
    expect([
      answerKind(429, true, undefined),
      answerKind(503, true, 1000),
      answerKind(503, true, undefined),
      answerKind(null, true, undefined),
    ]).toEqual(['throttled', 'throttled', 'overloaded', 'unavailable']);
    expect(answerKind(404, false, undefined)).toBe('answered');
  });

  it('tallies calls, latencies of answers, the latest quota and the longest hold', () => {
    const t = new PaceTally(3);
    t.sent(NOW);
    t.answered('answered', NOW + 40, 40, { apiRate: 50, remaining: 9, resetMs: 1000 });
    t.sent(NOW + 40);
    t.answered('unavailable', NOW + 90, 50, undefined);
    t.hold(NOW + 5000, 'Retry-After');
    t.hold(NOW + 1000, 'other');
    expect(t.report()).toEqual({
      epoch: 3,
      calls: 2,
      throttled: 0,
      overloaded: 0,
      unavailable: 1,
      latencySumMs: 40,
      latencyCount: 1,
      firstSentAt: NOW,
      lastAnsweredAt: NOW + 90,
      apiRate: 50,
      quota: { remaining: 9, resetAt: NOW + 1040 },
      holdUntil: NOW + 5000,
      holdReason: 'Retry-After',
    });
  });
});
