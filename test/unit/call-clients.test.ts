import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActivities, type CallClientsInput, type CallClientsOutput } from '../../src/activities';
import { backoffMs } from '../../src/activities/call-clients';
import { startFakeApi, type FakeApi } from '../../src/fake-api';
import { batchKey } from '../../src/store/results-store';
import { SqliteResultsStore } from '../../src/store/sqlite-store';

const B1 = batchKey('b', 'r1');
import { sealToken } from '../../src/token/seal';

describe('the callClients activity (a chunk per activity)', () => {
  let api: FakeApi;
  let store: SqliteResultsStore;
  const key = randomBytes(32);
  let acts: ReturnType<typeof createActivities>;
  const retry = { maximumAttempts: 3, initialIntervalMs: 10, maximumIntervalMs: 40, backoffCoefficient: 2 };

  beforeEach(async () => {
    api = await startFakeApi({ missingIds: ['c3'] });
    store = SqliteResultsStore.open(':memory:');
    acts = createActivities({ store, sealKey: async () => key });
  });
  afterEach(async () => {
    await api.close();
    await store.close();
  });

  const input = (ids: string[], token = api.issueToken()): CallClientsInput => ({
    batchId: 'b',
    batchRun: 'r1',
    clients: ids.map((id, position) => ({ id, position, record: { ClientId: id } })),
    apiUrl: api.baseUrl,
    sealedToken: sealToken(token, key),
    tokenGeneration: 0,
    callTimeoutMs: 1000,
    retry,
  });
  const run = (i: CallClientsInput, heartbeatDetails?: unknown): Promise<CallClientsOutput> => {
    const env = new MockActivityEnvironment({ heartbeatDetails }, { logger: new DefaultLogger('ERROR') });
    return env.run(acts.callClients, i);
  };

  it('calls each client in order and reports each outcome', async () => {
    expect(await run(input(['c1', 'c2', 'c3', 'c1']))).toEqual({
      outcomes: ['succeeded', 'succeeded', 'failed', 'duplicate'],
      pendingFrom: null,
    });
    expect(await store.count(B1)).toEqual({ 'in-progress': 0, succeeded: 2, failed: 1 });
  });

  it('stops at an expired token and says exactly which clients are pending', async () => {
    api.configure({ expireAfter: 2 });
    const out = await run(input(['c1', 'c2', 'c4', 'c5']));
    expect(out).toEqual({ outcomes: ['succeeded', 'succeeded'], pendingFrom: 2, tokenProblem: 'TokenExpired:401' });
    expect(api.ledger.clients.get('c5')).toBeUndefined();
  });

  it('resumes after a crash from the outcomes in the store, without calling those clients again', async () => {
    // The crashed attempt recorded c1's answer and had claimed c2 without an answer; its last heartbeat is older.
    await store.claimAll(B1, input(['c1', 'c2']).clients);
    await store.recordSuccess(B1, 'c1', '{}', 200, 1);
    const out = await run(input(['c1', 'c2', 'c4']), { done: 0 });
    expect(out.outcomes).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(api.ledger.clients.get('c1')).toBeUndefined();
    expect(api.ledger.totalSuccesses).toBe(2);
  });

  it('retries transient answers with backoff, then fails the client with its last reason', async () => {
    api.configure({ faultRate: 1 });
    const out = await run(input(['c1']));
    expect(out.outcomes).toEqual(['failed']);
    expect(api.ledger.requests).toBe(3);
    expect(await store.list(B1, 'failed')).toMatchObject([
      { clientId: 'c1', reason: 'HTTP503:Service Unavailable', attempts: 3, lastStatus: 503 },
    ]);
    expect([1, 2, 3, 4].map((a) => backoffMs(retry, a))).toEqual([10, 20, 40, 40]);
  });

  it('reports a token that cannot be unsealed as pending, not failed', async () => {
    const i = input(['c1', 'c2']);
    i.sealedToken = sealToken('x', randomBytes(32));
    const out = await run(i);
    expect(out.pendingFrom).toBe(0);
    expect(out.tokenProblem).toMatch(/sealed with key/);
  });
});
