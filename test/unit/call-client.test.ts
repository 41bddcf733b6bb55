import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import type { CallClientInput, CallClientOutput } from '../../src/activities';
import { startFakeApi, type FakeApi } from '../../src/fake-api';
import { batchKey } from '../../src/store/results-store';
import { SqliteResultsStore } from '../../src/store/sqlite-store';

const B1 = batchKey('b1', 'r1');
import { sealToken } from '../../src/token/seal';

describe('the callClient activity', () => {
  let api: FakeApi;
  let store: SqliteResultsStore;
  const key = randomBytes(32);
  let acts: ReturnType<typeof createActivities>;

  beforeEach(async () => {
    api = await startFakeApi({ missingIds: ['gone'] });
    store = SqliteResultsStore.open(':memory:');
    acts = createActivities({ store, sealKey: async () => key, ownToken: async () => api.issueToken() });
  });
  afterEach(async () => {
    await api.close();
    await store.close();
  });

  const input = (id: string, position: number, over: Partial<CallClientInput> = {}): CallClientInput => ({
    batchId: 'b1',
    batchRun: 'r1',
    client: { id, position, record: { ClientId: id, ClientName: `n-${id}` } },
    apiUrl: api.baseUrl,
    sealedToken: sealToken(api.issueToken(), key),
    tokenGeneration: 0,
    callTimeoutMs: 2000,
    ...over,
  });
  const run = (i: CallClientInput, attempt = 1): Promise<CallClientOutput> =>
    new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') }).run(acts.callClient, i);
  const failureOf = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  };

  it('records a success with its body and sends the batch-scoped Idempotency-Key', async () => {
    expect(await run(input('a/1 é', 0))).toEqual({ outcome: 'succeeded', status: 200 });
    const [row] = await store.list(B1, 'succeeded');
    expect(row).toMatchObject({ clientId: 'a/1 é', attempts: 1, lastStatus: 200, record: { ClientName: 'n-a/1 é' } });
    expect(JSON.parse(row!.data!)).toMatchObject({ ClientId: 'a/1 é' });
    // The batch id and its first run id: a later batch that reuses the id sends other keys.
    expect(api.ledger.clients.get('a/1 é')!.successKeys).toEqual(['b1:r1:a%2F1%20%C3%A9']);
  });

  it('records a 404 as this client failing, and returns instead of throwing', async () => {
    expect(await run(input('gone', 0), 2)).toEqual({ outcome: 'failed', status: 404, reason: 'HTTP404:Not Found' });
    expect(await store.list(B1, 'failed')).toMatchObject([
      { clientId: 'gone', reason: 'HTTP404:Not Found', lastStatus: 404, attempts: 2 },
    ]);
  });

  it('raises a non-retryable TokenExpired on an expired token, failing nothing', async () => {
    api.configure({ expireAfter: 1 });
    const token = api.issueToken();
    await run(input('a', 0, { sealedToken: sealToken(token, key) }));
    const f = await failureOf(run(input('b', 1, { sealedToken: sealToken(token, key) })));
    expect(f).toMatchObject({ type: 'TokenExpired', nonRetryable: true, message: 'TokenExpired:401' });
    expect(await store.count(B1)).toEqual({ 'in-progress': 1, succeeded: 1, failed: 0 });
  });

  it('raises a retryable Transient with the status on 503, and honours Retry-After on 429', async () => {
    api.configure({ faultRate: 1 });
    expect(await failureOf(run(input('a', 0)))).toMatchObject({
      type: 'Transient',
      nonRetryable: false,
      details: [{ status: 503 }],
    });
    api.configure({ faultRate: 0, rateLimitRate: 1, retryAfterSeconds: 4 });
    expect(await failureOf(run(input('a', 0)))).toMatchObject({ type: 'Transient', nextRetryDelay: 4000 });
  });

  it('treats a timeout as transient', async () => {
    api.configure({ slowRate: 1, slowMs: 1000 });
    expect(await failureOf(run(input('a', 0, { callTimeoutMs: 100 })))).toMatchObject({
      type: 'Transient',
      message: 'Timeout',
    });
  });

  it('calls a duplicate ClientId once: the second entry is skipped', async () => {
    expect((await run(input('dup', 3))).outcome).toBe('succeeded');
    expect(await run(input('dup', 9))).toEqual({ outcome: 'duplicate' });
    // The same entry again after its success was recorded (a crash before completion): not called again.
    expect((await run(input('dup', 3), 2)).outcome).toBe('succeeded');
    expect(api.ledger.clients.get('dup')!.successes).toBe(1);
  });

  it('waits for a refresh, not failing the client, when the key cannot open the token', async () => {
    const f = await failureOf(run(input('a', 0, { sealedToken: sealToken('t', randomBytes(32)) })));
    expect(f).toMatchObject({ type: 'TokenUnavailable', nonRetryable: true });
    expect(f.message).toMatch(/sealed with key \w+ but this process has key/);
  });

  it("uses the worker's own token source when the batch carries none", async () => {
    expect((await run(input('own', 0, { sealedToken: undefined }))).outcome).toBe('succeeded');
  });

  describe("in a --local-calls wave larger than the batch's concurrency", () => {
    const wave = (n: number, over: Partial<CallClientInput>) =>
      Array.from({ length: n }, (_, i) =>
        run(input(`w${i}`, i, over)).then(
          (out) => out,
          (err: unknown) => err as ApplicationFailure,
        ),
      );

    it("makes at most `concurrency` of the batch's calls at once", async () => {
      api.configure({ latencyMs: 20 });
      const outs = await Promise.all(wave(12, { concurrency: 3 }));
      expect(outs).toEqual(Array(12).fill({ outcome: 'succeeded', status: 200 }));
      expect(api.ledger.maxInFlight).toBe(3);
    });

    it('ends the calls waiting with an expired token pending, without calling; a new token calls', async () => {
      api.configure({ expireAfter: 2 });
      const sealedToken = sealToken(api.issueToken(), key);
      const outs = await Promise.all(wave(5, { concurrency: 1, sealedToken }));
      expect(outs.slice(0, 2)).toEqual(Array(2).fill({ outcome: 'succeeded', status: 200 }));
      for (const f of outs.slice(2))
        expect(f).toMatchObject({ type: 'TokenExpired', nonRetryable: true, message: 'TokenExpired:401' });
      expect(api.ledger.requests).toBe(3); // w3 and w4 never reached the API
      expect(api.ledger.clients.has('w3')).toBe(false);
      // A call retried once the gate has emptied (after a 503, say) still knows: no request either.
      expect(await failureOf(run(input('w3', 3, { concurrency: 1, sealedToken }), 2))).toMatchObject({
        type: 'TokenExpired',
      });
      expect(api.ledger.requests).toBe(3);
      // The next generation's token is not the expired one: its calls go through.
      const fresh = sealToken(api.issueToken(), key);
      expect(await run(input('w3', 3, { concurrency: 1, sealedToken: fresh, tokenGeneration: 1 }))).toEqual({
        outcome: 'succeeded',
        status: 200,
      });
    });
  });
});
