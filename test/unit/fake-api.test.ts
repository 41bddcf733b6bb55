import { afterEach, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi, type FakeApiOptions } from '../../src/fake-api';
import { setTimeout as sleep } from 'node:timers/promises';

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function start(opts: FakeApiOptions = {}) {
  api = await startFakeApi(opts);
  return api;
}

async function call(a: FakeApi, id: string, token?: string, key?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  const res = await fetch(a.baseUrl + encodeURIComponent(id), { headers });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    retryAfter: res.headers.get('retry-after'),
  };
}

describe('the fake clients API', () => {
  it('answers 200 with the client, binds 127.0.0.1 and records the ledger', async () => {
    const a = await start();
    expect(a.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = ((await (await fetch(`${a.origin}/token`, { method: 'POST' })).json()) as { token: string }).token;
    const r = await call(a, 'C/1 é', token, 'b:C/1 é');
    expect(r.status).toBe(200);
    expect(r.body.ClientId).toBe('C/1 é');
    const stats = (await (await fetch(`${a.origin}/_stats`)).json()) as {
      successes: number;
      clients: Record<string, { successKeys: string[] }>;
    };
    expect(stats.successes).toBe(1);
    expect(stats.clients['C/1 é']!.successKeys).toEqual(['b:C/1 é']);
  });

  it('says "Invalid token" to an unknown token and "Session already expired." after N calls', async () => {
    const a = await start({ expireAfter: 2 });
    expect((await call(a, 'x', 'nope')).body).toEqual({ ErrorMessage: 'Invalid token' });
    const t = a.issueToken();
    expect((await call(a, 'a', t)).status).toBe(200);
    expect((await call(a, 'b', t)).status).toBe(200);
    expect(await call(a, 'c', t)).toMatchObject({ status: 401, body: { ErrorMessage: 'Session already expired.' } });
    expect((await call(a, 'c', a.issueToken())).status).toBe(200);
  });

  it('expires a token after its TTL', async () => {
    const a = await start({ tokenTtlSeconds: 1 });
    const issuedAt = Date.now();
    const t = a.issueToken();
    expect((await call(a, 'a', t)).status).toBe(200);
    let status = 200;
    while (status === 200 && Date.now() - issuedAt < 3000) {
      status = (await call(a, 'a', t)).status;
      if (status === 200) await sleep(50);
    }
    expect(status).toBe(401);
    expect(Date.now() - issuedAt).toBeGreaterThanOrEqual(1000);
  });

  it('answers 503 at the fault rate, repeatably for a seed', async () => {
    const statuses = async (seed: number) => {
      const a = await startFakeApi({ faultRate: 0.3, seed });
      const t = a.issueToken();
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await call(a, `c${i}`, t)).status);
      await a.close();
      return out;
    };
    const first = await statuses(5);
    expect(first.filter((s) => s === 503).length).toBeGreaterThan(4);
    expect(first.filter((s) => s === 503).length).toBeLessThan(24);
    expect(await statuses(5)).toEqual(first);
  });

  it('answers 429 with Retry-After', async () => {
    const a = await start({ rateLimitRate: 1, retryAfterSeconds: 7 });
    expect(await call(a, 'a', a.issueToken())).toMatchObject({ status: 429, retryAfter: '7' });
  });

  it('answers slowly past a timeout, and records no success for an abandoned call', async () => {
    const a = await start({ slowRate: 1, slowMs: 400 });
    const t = a.issueToken();
    const res = fetch(a.baseUrl + 'a', { headers: { authorization: `Bearer ${t}` }, signal: AbortSignal.timeout(100) });
    await expect(res).rejects.toThrow(/timeout|aborted/i);
    await sleep(500);
    expect(a.ledger.totalSuccesses).toBe(0);
  });

  it('resets connections at the reset rate', async () => {
    const a = await start({ resetRate: 1 });
    await expect(call(a, 'a', a.issueToken())).rejects.toThrow(/fetch failed/);
  });

  it('answers 404 for ids it is told are missing', async () => {
    const a = await start({ missingIds: ['gone'] });
    const t = a.issueToken();
    expect((await call(a, 'gone', t)).status).toBe(404);
    expect((await call(a, 'here', t)).status).toBe(200);
  });

  it('adds latency with jitter', async () => {
    const a = await start({ latencyMs: 60, jitterMs: 20 });
    const t = a.issueToken();
    const began = Date.now();
    await call(a, 'a', t);
    expect(Date.now() - began).toBeGreaterThanOrEqual(58);
  });

  it('goes down (connection refused) and comes back on the same port', async () => {
    const a = await start();
    const t = a.issueToken();
    await a.goDown();
    await expect(call(a, 'a', t)).rejects.toThrow(/fetch failed/);
    await a.comeBack();
    expect((await call(a, 'a', t)).status).toBe(200);
  });

  it('checks the ledger: missing, repeated, repeated with another key, unexpected', async () => {
    const a = await start();
    const t = a.issueToken();
    await call(a, 'a', t, 'k:a');
    await call(a, 'a', t, 'k:a');
    await call(a, 'b', t, 'k:b');
    await call(a, 'b', t, 'other');
    await call(a, 'z', t, 'k:z');
    expect(a.ledger.check(['a', 'b', 'c'])).toEqual({
      missing: ['c'],
      repeated: ['a', 'b'],
      repeatedWithOtherKey: ['b'],
      unexpected: ['z'],
    });
  });
});

describe('the compact ledger, for batches of millions', () => {
  it('tells missing, repeated, repeated under another key and unexpected clients, as the full ledger does', async () => {
    const { Ledger } = await import('../../src/fake-api/ledger');
    const compact = new Ledger({ compact: true });
    const full = new Ledger();
    for (const l of [compact, full]) {
      l.success('C-000001', 'k1');
      l.success('C-000002', 'k2');
      l.success('C-000002', 'k2');
      l.success('C-000003', 'k3');
      l.success('C-000003', 'other');
      l.success('C-999999', 'k9');
    }
    const expected = ['C-000001', 'C-000002', 'C-000003', 'C-000004'];
    const summary = (c: ReturnType<typeof full.check>) =>
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.length]));
    expect(summary(compact.check(expected))).toEqual(summary(full.check(expected)));
    expect(summary(compact.check(expected))).toEqual({
      missing: 1,
      repeated: 2,
      repeatedWithOtherKey: 1,
      unexpected: 1,
    });
    expect(compact.totalSuccesses).toBe(6);
  });
});
