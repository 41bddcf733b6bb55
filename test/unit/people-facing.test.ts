import { describe, expect, it } from 'vitest';
import { exitCodeOf, RuntimeError, UserError } from '../../src/contract/errors';
import { SourceError } from '../../src/domain/sources';
import { formatLogEntry, isForPeople } from '../../src/worker/runtime';
import { isConnectionError, StoreHealth } from '../../src/store/store-health';
import { describeStore } from '../../src/store/store-url';
import { retryUntil } from '../../src/connection/connection';
import { SealKeyError } from '../../src/token/seal';

const entry = (level: 'INFO' | 'WARN', message: string, meta: Record<string, unknown>) => ({
  level,
  message,
  meta,
  timestampNanos: 1_764_000_000_123_000_000n,
});

describe('log lines for people', () => {
  it('are one line naming the batch, with the stack of an error only under --debug', () => {
    const error = new Error('boom\nsecond line');
    const e = entry('WARN', 'Activity failed', { workflowId: 'b-1', sdkComponent: 'worker', taskQueue: 'q', error });
    expect(formatLogEntry(e)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}Activity failed: boom \[batch b-1\]$/);
    expect(formatLogEntry(e, true).split('\n').length).toBeGreaterThan(2);
  });

  it("shows clientsync's own info lines and the SDK's warnings, not the SDK's routine info", () => {
    expect(isForPeople(entry('INFO', 'ClientId C-1 failed', { sdkComponent: 'activity' }))).toBe(true);
    expect(isForPeople(entry('INFO', 'Worker state changed', { sdkComponent: 'worker' }))).toBe(false);
    expect(isForPeople(entry('INFO', 'Worker state changed', { sdkComponent: 'worker' }), true)).toBe(true);
    expect(isForPeople(entry('WARN', 'Activity failed', { sdkComponent: 'worker' }))).toBe(true);
  });
});

describe('exit codes', () => {
  it('come from the error itself: 2 for what the user fixes, 1 for everything else', () => {
    expect([new UserError('x'), new SourceError('x'), new SealKeyError('x')].map(exitCodeOf)).toEqual([2, 2, 2]);
    expect([new RuntimeError('x'), new Error('x'), 'text', undefined].map(exitCodeOf)).toEqual([1, 1, 1, 1]);
  });
});

describe('the results store outage rules', () => {
  it('tell a lost or refused connection from a bad statement', () => {
    const lost = [
      { code: 'ECONNREFUSED' },
      { code: '57P01' },
      { code: '08006' },
      { message: 'Connection terminated unexpectedly' },
    ];
    lost.push({ code: '55000', message: 'database "x" is not currently accepting connections' } as { code: string });
    for (const err of lost) expect(isConnectionError(err), JSON.stringify(err)).toBe(true);
    for (const err of [{ code: '42P01' }, { code: '23505' }, new Error('syntax error')])
      expect(isConnectionError(err)).toBe(false);
  });

  it('log one line when the store goes away and one when it is back', () => {
    const lines: string[] = [];
    const health = new StoreHealth((l) => lines.push(l));
    health.up();
    expect(health.down(new Error('ECONNREFUSED')).message).toBe('results store unreachable: ECONNREFUSED');
    health.down(new Error('again'));
    health.up();
    health.up();
    expect(lines).toEqual([
      expect.stringMatching(/^results store unreachable \(ECONNREFUSED\)/),
      expect.stringMatching(/^results store reachable again after \d+ s$/),
    ]);
  });

  it('count a flap as the start of one outage: back only once the store has answered for the settle time', () => {
    const lines: string[] = [];
    let now = 0;
    const health = new StoreHealth(
      (l) => lines.push(l),
      2000,
      () => now,
    );
    health.down(new Error('ECONNREFUSED'));
    now = 1000;
    health.up(); // a connection that outlived the outage's start by a moment
    now = 1500;
    health.down(new Error('terminated'));
    for (now = 5000; now <= 7000; now += 500) health.up();
    expect(lines).toEqual([
      expect.stringMatching(/^results store unreachable \(ECONNREFUSED\)/),
      'results store reachable again after 5 s',
    ]);
  });

  it('are described without the password', () => {
    expect(describeStore('postgres://sync:s3cret@db.internal:6543/results')).toBe(
      'PostgreSQL db.internal:6543/results as sync',
    );
    expect(describeStore('/data/results.db')).toBe('SQLite /data/results.db');
  });
});

describe('connecting right after a server starts', () => {
  it('tries again until the deadline, and the first attempt starts at once', async () => {
    let calls = 0;
    const started = Date.now();
    expect(await retryUntil(async () => (++calls < 3 ? Promise.reject(new Error('not yet')) : 'ok'), 5000)).toBe('ok');
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(retryUntil(async () => Promise.reject(new Error('never')), 600)).rejects.toThrow('never');
  });
});
