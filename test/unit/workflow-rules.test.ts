import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchCarry } from '../../src/contract/batch-input';
import { DEFAULT_OPTIONS, recordedOptions, resolveOptions, UNRECORDED_DEFAULTS } from '../../src/contract/options';
import { progressLine } from '../../src/cli/progress-line';
import { detailsLine, progressOf, summaryOf } from '../../src/contract/progress';
import { chunkSize, runWouldOverflow, sizedChunksExtra } from '../../src/workflows/chunk-sizing';
import {
  autoRefreshVerdict,
  proactiveRefreshAt,
  refreshRefusal,
  sealedKeyId,
} from '../../src/workflows/refresh-policy';
import { addPending } from '../../src/workflows/pending';
import { initialCarry, stateOf } from '../../src/workflows/run-state';

const entry = (position: number) => ({ id: `C-${String(position).padStart(6, '0')}`, position, record: {} });
const NOW = '2026-11-28T10:00:00.000Z';

function carry(changes: Partial<BatchCarry> = {}): BatchCarry {
  return {
    ...initialCarry(
      { batchId: 'b', source: { path: 'f.json', format: 'seed-json' }, apiUrl: 'http://api/', total: 100 },
      NOW,
      'run-1',
    ),
    ...changes,
  };
}

describe('resolveOptions', () => {
  it('fills what the starter left out from the defaults, the retry policy field by field', () => {
    const o = resolveOptions(recordedOptions({ concurrency: 9, retry: { maximumAttempts: 2 } }));
    expect(o).toEqual({ ...DEFAULT_OPTIONS, concurrency: 9, retry: { ...DEFAULT_OPTIONS.retry, maximumAttempts: 2 } });
    expect(resolveOptions(recordedOptions({}))).toEqual(DEFAULT_OPTIONS);
  });

  it('runs a batch that recorded no pace (started by 1.0) as 1.0 ran it: unpaced, with its defaults', () => {
    const o = resolveOptions({ rps: 5 });
    expect(o).toEqual({ ...DEFAULT_OPTIONS, ...UNRECORDED_DEFAULTS, rps: 5, paced: false });
    expect(resolveOptions(undefined)).toMatchObject({
      concurrency: 4,
      pageSize: 200,
      clientsPerActivity: 1,
      paced: false,
    });
    expect(resolveOptions({ adaptive: 'off' })).toMatchObject({ paced: true, adaptive: 'off' });
  });

  it('shrinks a page that could not fit in one run of the event budget, counting clients per activity', () => {
    expect(resolveOptions({ pageSize: 10_000, eventBudget: 900 }).pageSize).toBe(100); // (900 - 100) / 8 activities
    expect(resolveOptions({ pageSize: 10_000, eventBudget: 900, clientsPerActivity: 25 }).pageSize).toBe(2500);
    expect(resolveOptions({ pageSize: 50, eventBudget: 900 }).pageSize).toBe(50);
    expect(resolveOptions({ clientsPerActivity: 0.5 }).clientsPerActivity).toBe(1);
    // A local call is one client and about one event: (900 - 100) / 3.
    expect(resolveOptions({ pageSize: 10_000, eventBudget: 900, localCalls: true }).pageSize).toBe(266);
    expect(resolveOptions({ localCalls: true, clientsPerActivity: 25 }).clientsPerActivity).toBe(1);
  });
});

describe('runWouldOverflow', () => {
  it('hands over when one more page of activities and the margin would pass the event budget', () => {
    const opts = resolveOptions({ eventBudget: 600, pageSize: 30 });
    expect(runWouldOverflow(320, opts)).toBe(false); // 320 + 30 × 6 + 100 = 600
    expect(runWouldOverflow(321, opts)).toBe(true);
    expect(runWouldOverflow(321, resolveOptions({ eventBudget: 600, pageSize: 30, clientsPerActivity: 10 }))).toBe(
      false,
    ); // 3 activities
    expect(runWouldOverflow(440, resolveOptions({ eventBudget: 600, pageSize: 30, localCalls: true }))).toBe(false); // 440 + 30 × 2 + 100 = 600
    expect(runWouldOverflow(441, resolveOptions({ eventBudget: 600, pageSize: 30, localCalls: true }))).toBe(true);
    const chunks = resolveOptions({ eventBudget: 600, pageSize: 30, clientsPerActivity: 10 });
    expect(runWouldOverflow(422, chunks, 4)).toBe(false); // 422 + (3 + 4) × 6 + 100 = 564: room for 4 more chunks
    expect(runWouldOverflow(459, chunks, 4)).toBe(true); // 459 + 42 + 100 = 601
  });
});

describe('chunkSize', () => {
  it('sizes chunks that start together by their place, so they end spread over a chunk, and a lone start at full size', () => {
    const together = Array.from({ length: 20 }, (_, inFlight) => chunkSize(25, 20, inFlight));
    expect(together).toEqual([2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25]);
    expect(chunkSize(25, 20, 19)).toBe(25); // the steady state: one slot frees, one chunk starts
    expect(chunkSize(25, 20, 40)).toBe(25); // more in flight than allowed (after `set --concurrency` lowered it)
    expect(chunkSize(100, 1, 0)).toBe(100);
    expect(chunkSize(2, 64, 0)).toBe(1);
  });

  it('shares out the end of the source, so the slots finish together and a small batch uses all of them', () => {
    expect(chunkSize(25, 20, 19, 1000)).toBe(25);
    expect(chunkSize(25, 20, 19, 300)).toBe(15);
    expect(chunkSize(25, 20, 19, 7)).toBe(1);
    expect(chunkSize(25, 20, 0, 100)).toBe(2); // a small batch's first start: staggered still
    const sizes: number[] = [];
    for (let left = 100, inFlight = 0; left > 0; inFlight = Math.min(inFlight + 1, 19))
      left -= sizes[sizes.push(chunkSize(25, 20, inFlight, left)) - 1]!;
    expect(sizes.length).toBeGreaterThanOrEqual(20); // every slot gets some of the 100 clients, not 4 chunks of 25
    expect(sizes.reduce((a, b) => a + b)).toBe(100);
  });

  it('reserves no more chunks for a page than it has clients', () => {
    expect(sizedChunksExtra(25, 20, 200)).toBe(100); // 20 × (1 + ⌈ln 25⌉)
    expect(sizedChunksExtra(100, 256, 200)).toBe(198); // 200 clients make at most 200 chunks, 2 of them full
    expect(sizedChunksExtra(25, 20, 10)).toBe(9);
  });

  it('splits a page into at most sizedChunksExtra more chunks than full ones, however the page meets a start or the end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 128 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        (k, c, page, last) => {
          // Worst case: every slot starts at once (inFlight 0…c-1, then a lone start at a time), the page is the
          // source's last.
          let chunks = 0;
          for (let left = page, inFlight = 0; left > 0; inFlight = Math.min(inFlight + 1, c - 1), chunks++) {
            left -= chunkSize(k, c, inFlight, last ? left : undefined);
          }
          return chunks <= Math.ceil(page / k) + sizedChunksExtra(k, c, page);
        },
      ),
    );
  });
});

describe('addPending', () => {
  it('keeps the pending clients in source order whatever order they come back in, so the resume point is the earliest', () => {
    const pending = [entry(5)];
    for (const p of [9, 2, 7, 3]) addPending(pending, entry(p));
    expect(pending.map((c) => c.position)).toEqual([2, 3, 5, 7, 9]);
  });
});

describe('stateOf', () => {
  it('puts an ending first, then waiting for a token, then paused', () => {
    expect(stateOf(carry({ waitingForToken: true, paused: true }), 'cancelled')).toBe('cancelled');
    expect(stateOf(carry({ waitingForToken: true, paused: true }), undefined)).toBe('waiting-for-token');
    expect(stateOf(carry({ paused: true }), undefined)).toBe('paused');
    expect(stateOf(carry(), undefined)).toBe('running');
  });
});

describe('progressOf and detailsLine', () => {
  it('reads a waiting batch: the resume point, since when and why, in the progress and in Temporal Web’s line', () => {
    const c = carry({
      waitingForToken: true,
      waitingSince: NOW,
      pending: [entry(41), entry(43)],
      counters: { processed: 40, succeeded: 39, failed: 1, duplicates: 0 },
    });
    const p = progressOf('b', c, stateOf(c, undefined), {
      now: NOW,
      inFlight: 0,
      lastTokenError: 'Session already expired.',
    });
    expect(p).toMatchObject({
      state: 'waiting-for-token',
      resumeFromClientId: 'C-000041',
      pending: 2,
      waitingSince: NOW,
      total: 100,
      batchRun: 'run-1',
    });
    expect(detailsLine(p)).toBe(
      `**waiting for tokenRefreshed** since ${NOW}, resume from ClientId C-000041 (2 pending; Session already expired.). 40 of 100 processed (39 succeeded, 1 failed). Run 1.`,
    );
  });

  it('says why a batch paused itself, and shows no waiting time when not waiting', () => {
    const c = carry({ paused: true, pausedBecause: 'the file changed', waitingSince: NOW });
    const p = progressOf('b', c, stateOf(c, undefined), { now: NOW, inFlight: 2, lastTokenError: null });
    expect(p.waitingSince).toBeNull();
    expect(detailsLine(p)).toBe(
      '**paused** because the file changed: send resume to continue. 0 of 100 processed (0 succeeded, 0 failed). Run 1.',
    );
  });
});

describe('summaryOf', () => {
  it('ends with the counters, the runs and the time since the first run started', () => {
    const c = carry({
      run: 3,
      tokenRefreshes: 2,
      autoRefresh: { count: 1, inARow: 0 },
      counters: { processed: 100, succeeded: 97, failed: 2, duplicates: 1 },
    });
    const s = summaryOf(
      progressOf('b', c, 'completed', { now: NOW, inFlight: 0, lastTokenError: null }),
      Date.parse(NOW) + 90_000,
    );
    expect(s).toEqual({
      batchId: 'b',
      batchRun: 'run-1',
      state: 'completed',
      processed: 100,
      succeeded: 97,
      failed: 2,
      duplicates: 1,
      total: 100,
      runs: 3,
      tokenRefreshes: 2,
      automaticRefreshes: 1,
      startedAt: NOW,
      endedAt: '2026-11-28T10:01:30.000Z',
      durationMs: 90_000,
    });
  });
});

describe('automatic refresh bounds', () => {
  it('refresh a token at 90% of its known lifetime, and not at all when it is unknown', () => {
    expect(proactiveRefreshAt({ tokenObtainedAt: 1_000, tokenExpiresAt: 21_000 })).toBe(19_000);
    expect(proactiveRefreshAt({})).toBeUndefined();
    // A token already past its end when it came (a clock ahead of ours) is refreshed at once, not before it was had.
    expect(proactiveRefreshAt({ tokenObtainedAt: 5_000, tokenExpiresAt: 4_000 })).toBe(4_000);
  });

  it('allow a refresh after an expiry now, after the minimum interval, or not at all after 3 in a row', () => {
    expect(autoRefreshVerdict(undefined, 10_000, 60_000)).toEqual({ kind: 'now' });
    // Workers without a provider answer at once, without a token: no "automatic refresh at …" that will not come.
    expect(
      autoRefreshVerdict({ count: 0, inARow: 0, lastReactiveAt: 9_000, noProvider: true }, 10_000, 60_000),
    ).toEqual({ kind: 'now' });
    expect(autoRefreshVerdict({ count: 2, inARow: 1, lastReactiveAt: 9_000 }, 10_000, 60_000)).toEqual({
      kind: 'later',
      at: 69_000,
    });
    expect(autoRefreshVerdict({ count: 2, inARow: 1, lastReactiveAt: 9_000 }, 69_000, 60_000)).toEqual({ kind: 'now' });
    expect(autoRefreshVerdict({ count: 5, inARow: 3 }, 10_000, 0)).toMatchObject({
      kind: 'person',
      why: expect.stringMatching(/^automatic refresh stopped: 3 new tokens/),
    });
  });

  it('carry a JWT expiry the starter read from the token, and show it in progress', () => {
    const c = initialCarry(
      {
        batchId: 'b',
        source: { path: 'f.json', format: 'seed-json' },
        apiUrl: 'http://api/',
        tokenExpiresAt: Date.parse(NOW) + 600_000,
      },
      NOW,
    );
    expect(proactiveRefreshAt(c)).toBe(Date.parse(NOW) + 540_000);
    const p = progressOf('b', c, 'running', { now: NOW, inFlight: 0, lastTokenError: null });
    expect(p).toMatchObject({ tokenExpiresAt: '2026-11-28T10:10:00.000Z', automaticRefreshes: 0 });
    expect(progressLine(p, 10, 10, Date.parse(NOW) + 60_000)).toContain(' · running · token expires in 9m');
  });
});

describe("the refreshToken Update's validator", () => {
  const key = 'ab12cd34';
  const sealed = (id: string) => `cs1.${id}.aXY.dGFn.Y3Q`;
  it('takes a token sealed with the batch key, and no token unless the workers are known to have no provider', () => {
    expect(refreshRefusal({}, key, sealed(key))).toBeNull();
    expect(refreshRefusal({}, undefined, sealed('9f8e7d6c'))).toBeNull(); // a batch with no token yet: any key
    expect(refreshRefusal({}, key, undefined)).toBeNull();
    expect(refreshRefusal({ autoRefresh: { count: 0, inARow: 0, noProvider: true } }, key, undefined)).toMatch(
      /the workers have no token provider; pass the token/,
    );
  });

  it('refuses a token sealed with another key, or not sealed at all, naming the fix', () => {
    expect(refreshRefusal({}, key, sealed('9f8e7d6c'))).toBe(
      "the token was sealed with key 9f8e7d6c but this batch's tokens use key ab12cd34; run refresh-token with the CLIENTSYNC_SEAL_KEY or key file the workers have",
    );
    expect(refreshRefusal({}, key, 'plain-token')).toMatch(/not sealed by clientsync/);
    expect(sealedKeyId(sealed(key))).toBe(key);
  });
});
