import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AutoRefreshCarry, BatchCarry, BatchInput } from '../../src/contract/batch-input';
import { limitsOf } from '../../src/contract/limits';
import { resolveOptions } from '../../src/contract/options';
import { progressOf } from '../../src/contract/progress';
import { stateOf } from '../../src/workflows/run-state';

// A run of one release hands its carry to a run of the next (docs/upgrading.md): every field a release wrote
// must still be read, with the same meaning. The sample is the input of a second run, recorded with 1.0.
const sample = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/contract/1.0-continued-input.json'), 'utf8'),
) as BatchInput;

/** Every field the code knows; the compiler refuses this list when BatchCarry gains or loses one. */
const CARRY_FIELDS: Record<keyof BatchCarry, true> = {
  cursor: true,
  counters: true,
  pending: true,
  sealedToken: true,
  tokenGeneration: true,
  tokenRefreshes: true,
  waitingForToken: true,
  waitingSince: true,
  paused: true,
  run: true,
  startedAt: true,
  total: true,
  batchRun: true,
  pausedBecause: true,
  tokenExpiresAt: true,
  tokenObtainedAt: true,
  sealedRefreshToken: true,
  autoRefresh: true,
  pace: true,
  retrying: true,
  canaryUntil: true,
};
const AUTO_REFRESH_FIELDS: Record<keyof AutoRefreshCarry, true> = {
  count: true,
  inARow: true,
  lastReactiveAt: true,
  noProvider: true,
};
const INPUT_FIELDS: Record<keyof BatchInput, true> = {
  batchId: true,
  source: true,
  apiUrl: true,
  sealedToken: true,
  options: true,
  carry: true,
  store: true,
  tokenExpiresAt: true,
  total: true,
  retryOf: true,
  sealedNotifyUrl: true,
  webUrl: true,
};

describe('the 1.0 batch input and carry', () => {
  it('has no field that the current code no longer knows', () => {
    expect(Object.keys(sample).filter((k) => !(k in INPUT_FIELDS))).toEqual([]);
    expect(Object.keys(sample.carry!).filter((k) => !(k in CARRY_FIELDS))).toEqual([]);
    expect(Object.keys(sample.carry!.autoRefresh!).filter((k) => !(k in AUTO_REFRESH_FIELDS))).toEqual([]);
  });

  it('is read as it was written: the counters, the clients pending after an expiry, and the options', () => {
    const carry = sample.carry!;
    const opts = resolveOptions(sample.options);
    expect(opts).toMatchObject({ concurrency: 3, pageSize: 30, eventBudget: 600 });
    const progress = progressOf(sample.batchId, carry, stateOf(carry, undefined), {
      now: '2026-11-30T11:17:30.000Z',
      inFlight: 0,
      lastTokenError: null,
      waitingForPersonSince: null,
      limits: limitsOf(opts),
    });
    expect(progress).toMatchObject({
      state: 'running',
      processed: 58,
      succeeded: 57,
      failed: 1,
      pending: 2,
      total: 160,
      run: 2,
      resumeFromClientId: 'C-000001',
    });
  });
});
