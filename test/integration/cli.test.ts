import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, beforeEach } from 'vitest';
import { createHarness, resultOf, waitForProgress, waitForState, type Harness } from '../helpers/harness';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { freePort } from '../helpers/ports';
import { progressQuery, tokenRefreshedSignal } from '../../src/contract/messages';
import { cli, operatorSession } from '../helpers/in-process-cli';
import { historyText } from '../helpers/history-text';
import { recordServer } from '../../src/domain/server-record';
import { setTimeout as sleep } from 'node:timers/promises';

let h: Harness;
let session: { close(): Promise<void> };

beforeAll(async () => {
  h = await createHarness({ expireAfter: 25, missingIds: ['C-000007'] });
  session = await operatorSession(h, { API_TOKEN: undefined });
});
beforeEach(() => h.api.ledger.reset()); // the tests share one fake API

afterAll(async () => {
  await session.close();
  await h.close();
});

describe('clientsync start refuses bad input with one line, exit 2, and starts nothing', () => {
  const write = async (name: string, text: string) => {
    const p = path.join(h.dir, name);
    await writeFile(p, text);
    return p;
  };

  it.each([
    [
      'a missing file',
      async () => path.join(h.dir, 'missing.json'),
      /missing\.json does not exist; check the --clients path/,
    ],
    ['not JSON', () => write('a.json', 'hello'), /byte 0: the top level must be a JSON array/],
    [
      'truncated JSON',
      () => write('b.json', '[{"ClientList":[{"ClientId":"a"},'),
      /the file ends early \(truncated JSON\?\)/,
    ],
    ['a top level that is not an array', () => write('c.json', '{"ClientList":[]}'), /top level must be a JSON array/],
    [
      'a ClientList that is not an array',
      () => write('d.json', '[{"ClientList":"x"}]'),
      /ClientList must be an array of clients/,
    ],
    [
      'a client without ClientId',
      () => write('e.json', '[{"ClientList":[{"Name":"x"}]}]'),
      /client #1\): the client has no ClientId/,
    ],
    [
      'a ClientId that is neither string nor number',
      () => write('f.json', '[{"ClientList":[{"ClientId":true}]}]'),
      /ClientId must be a string or a number, not boolean/,
    ],
    ['an empty ClientId', () => write('g.json', '[{"ClientList":[{"ClientId":""}]}]'), /ClientId is empty/],
    ['zero clients', () => write('h.json', '[{"ClientList":[]}]'), /has no clients; nothing to call/],
  ])('%s', async (_name, make, message) => {
    const file = await make();
    const id = `bad-${Math.random()}`;
    const r = await cli(['start', '--clients', file, '--id', id, '--token-stdin'], 'tok');
    expect(r.code).toBe(2);
    expect(r.errors).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
    expect((await cli(['status', id])).err).toMatch(/no batch with id/);
  });

  it('needs a token, a valid --api-url, a valid --expired-regex, a wait timeout for its action and one call mode, naming the fix', async () => {
    const { path: file } = await h.clientFile(3);
    expect((await cli(['start', '--clients', file])).err).toMatch(
      /no API token: set API_TOKEN, or pass --token-file F or --token-stdin/,
    );
    const bad = await cli(['start', '--clients', file, '--api-url', 'nope', '--token-stdin'], 'tok');
    expect(bad).toMatchObject({ code: 2, err: expect.stringMatching(/--api-url "nope" is not a URL/) });
    const re = await cli(['start', '--clients', file, '--expired-regex', '(', '--token-stdin'], 'tok');
    expect(re).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--expired-regex "\(" is not a valid regular expression/),
    });
    const tf = await cli(['start', '--clients', file, '--token-file', path.join(h.dir, 'nope')]);
    expect(tf).toMatchObject({ code: 2, err: expect.stringMatching(/--token-file .*nope cannot be read \(ENOENT\)/) });
    const wt = await cli(['start', '--clients', file, '--on-wait-timeout', 'cancel', '--token-stdin'], 'tok');
    expect(wt).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--on-wait-timeout cancel needs --wait-timeout, e.g. --wait-timeout 2h/),
    });
    const lc = await cli(
      ['start', '--clients', file, '--local-calls', '--clients-per-activity', '5', '--token-stdin'],
      'tok',
    );
    expect(lc).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--local-calls runs one client per local activity: drop --clients-per-activity/),
    });
  });

  it('says which batch id is unknown, and how to find the right one', async () => {
    for (const args of [
      ['status', 'no-such'],
      ['refresh-token', 'no-such'],
      ['pause', 'no-such'],
      ['cancel', 'no-such'],
      ['retry-failed', 'no-such'],
    ]) {
      const r = await cli(args, 'tok');
      expect(r.code).toBe(2);
      expect(r.errors).toEqual(['clientsync: no batch with id no-such; `clientsync list` shows the batches']);
    }
  });

  it('says why a batch failed: a source removed after it started', async () => {
    const gone = path.join(h.dir, 'removed-after-start.json');
    const handle = await h.startBatch(gone, { total: undefined });
    await resultOf(handle).catch(() => undefined);
    const failed = JSON.parse((await cli(['status', handle.workflowId, '--json'])).out);
    expect(failed).toMatchObject({
      state: 'failed',
      failure: expect.stringMatching(/removed-after-start\.json does not exist(?!; check)/),
    });
    expect((await cli(['status', handle.workflowId])).out).toMatch(
      /· failed · Workflow execution failed: .*does not exist/,
    );
  });

  it('answers at once when nothing listens and no server is coming, with exit 1 and the fix', async () => {
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
    const began = Date.now();
    try {
      const r = await cli(['list', '--json']);
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        'clientsync: nothing listens at 127.0.0.1:1, and no clientsync server is starting there; start one with `clientsync server`, or set TEMPORAL_ADDRESS to where Temporal runs',
      ]);
      expect(Date.now() - began).toBeLessThan(5000); // it waited 30 s before
    } finally {
      process.env.TEMPORAL_ADDRESS = h.address;
    }
  });

  it('says where it looked when something else answers there, with exit 1', async () => {
    process.env.TEMPORAL_ADDRESS = new URL(h.api.origin).host; // an HTTP server, not Temporal
    process.env.CLIENTSYNC_CONNECT_TIMEOUT = '2';
    try {
      const r = await cli(['status', 'x']);
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.err).toMatch(/cannot reach Temporal at 127\.0\.0\.1:\d+ after 2 s .*is `clientsync server` running\?/);
    } finally {
      process.env.TEMPORAL_ADDRESS = h.address;
      delete process.env.CLIENTSYNC_CONNECT_TIMEOUT;
    }
  });

  it('waits for a server that is still starting, as right after `clientsync server` on a busy machine', async () => {
    // The first demo on a fresh machine failed this way: one 5 s attempt while the new server was not yet answering.
    const port = await freePort();
    process.env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
    // `clientsync server` notes at once that a server is coming up there, before it builds or starts anything.
    const note = recordServer(`127.0.0.1:${port}`);
    let late: DevServer | undefined;
    const starting = sleep(6000).then(async () => {
      late = await startDevServer({
        port,
        uiPort: await freePort(),
        dbFile: path.join(h.dir, 'late.db'),
        headless: true,
      });
    });
    try {
      const r = await cli(['list', '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual([]);
    } finally {
      process.env.TEMPORAL_ADDRESS = h.address;
      await starting;
      await late?.stop();
      note.forget();
    }
  });
});

describe('clientsync list', () => {
  it('shows a batch that continued as new once, from its latest run, in the table and in --json', async () => {
    const { path: file } = await h.clientFile(60);
    // The token expires every 25 calls, and a small history budget hands over to a new run after about 40 clients.
    const handle = await h.startBatch(file, { options: { concurrency: 2, pageSize: 10, eventBudget: 250 } });
    try {
      await waitForState(handle, 'waiting-for-token');
      await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
      await waitForProgress(handle, (p) => p.run >= 2 && p.state === 'waiting-for-token');
      const rows = (
        JSON.parse((await cli(['list', '--json'])).out) as Array<{ batchId: string; status: string }>
      ).filter((r) => r.batchId === handle.workflowId);
      expect(rows).toEqual([expect.objectContaining({ status: 'RUNNING' })]);
      const table = (await cli(['list'])).out.split('\n').filter((line) => line.startsWith(`${handle.workflowId}\t`));
      expect(table).toHaveLength(1);
    } finally {
      await handle.terminate();
    }
  });
});

describe('an operator session', () => {
  it('starts, waits for a token, refreshes it, lists, shows failures, exports results and redrives the failures', async () => {
    const { path: file, ids } = await h.clientFile(60);
    const tokenFile = path.join(h.dir, 'token');
    await writeFile(tokenFile, h.api.issueToken());
    const started = await cli([
      'start',
      '--clients',
      file,
      '--id',
      'ops-1',
      '--token-file',
      tokenFile,
      '--task-queue',
      h.taskQueue,
      '--concurrency',
      '2',
    ]);
    expect(started.code).toBe(0);
    expect(started.out).toContain('60 clients');
    expect(started.out).toContain('Started batch ops-1');
    // A server that clientsync did not start: its Web's address is not guessed.
    expect(started.out).toContain(
      `Temporal Web: unknown for the server at ${h.address}; set TEMPORAL_UI_URL to its address for links`,
    );

    const again = await cli([
      'start',
      '--clients',
      file,
      '--id',
      'ops-1',
      '--token-file',
      tokenFile,
      '--task-queue',
      h.taskQueue,
    ]);
    expect(again).toMatchObject({
      code: 2,
      err: expect.stringMatching(/a batch with id ops-1 already exists; pick another --id/),
    });

    const handle = h.client.workflow.getHandle('ops-1');
    await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.inFlight === 0);
    const waiting = JSON.parse((await cli(['status', 'ops-1', '--json'])).out);
    expect(waiting).toMatchObject({ batchId: 'ops-1', state: 'waiting-for-token', total: 60, run: 1 });
    expect(waiting.resumeFromClientId).toMatch(/^C-0000\d\d$/);
    expect((await cli(['status', 'ops-1'])).out).toMatch(
      /waiting-for-token .*· resume from C-0000\d\d .*clientsync refresh-token ops-1/,
    );

    // A token sealed with another key, or no token while the workers have no provider, is refused before it enters
    // history.
    await waitForProgress(handle, (p) => !!p.lastTokenError?.includes('no automatic refresh'));
    const ownKey = process.env.CLIENTSYNC_SEAL_KEY;
    process.env.CLIENTSYNC_SEAL_KEY = randomBytes(32).toString('base64'); // another host's key
    const otherKey = await cli(['refresh-token', 'ops-1', '--token-stdin'], h.api.issueToken()).finally(
      () => (process.env.CLIENTSYNC_SEAL_KEY = ownKey),
    );
    expect(otherKey).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /^clientsync: batch ops-1 refused the refresh: the token was sealed with key \w{8} but this batch's tokens use key \w{8}; run refresh-token with the CLIENTSYNC_SEAL_KEY/,
      ),
    });
    const empty = await cli(['refresh-token', 'ops-1']);
    expect(empty).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /refused the refresh: a refresh without a token cannot help: the workers have no token provider/,
      ),
    });
    expect((await handle.query(progressQuery)).tokenRefreshes).toBe(0);
    expect(await historyText(h, 'ops-1')).not.toContain('EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE'); // refused before history

    for (let i = 0; i < 2; i++) {
      if (i > 0) await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.tokenRefreshes === i);
      const before = await handle.query(progressQuery);
      const refreshed = await cli(['refresh-token', 'ops-1', '--token-stdin'], h.api.issueToken());
      expect(refreshed.code).toBe(0);
      expect(refreshed.out).toContain(
        `Resumed batch ops-1: ${before.pending} pending, resume from ${before.resumeFromClientId}`,
      );
    }
    await resultOf(handle);
    const done = JSON.parse((await cli(['status', 'ops-1', '--json'])).out);
    expect(done).toMatchObject({ state: 'completed', processed: 60, succeeded: 59, failed: 1, pending: 0 });
    expect(h.api.ledger.check(ids.filter((id) => id !== 'C-000007'))).toMatchObject({ missing: [], repeated: [] });

    const listed = JSON.parse((await cli(['list', '--json'])).out) as Array<Record<string, unknown>>;
    expect(listed.find((b) => b.batchId === 'ops-1')).toMatchObject({
      state: 'completed',
      processed: 60,
      total: 60,
      failed: 1,
    });

    const failures = JSON.parse((await cli(['failures', 'ops-1', '--json'])).out);
    // The API's answer is kept with the failure, for people to see why.
    expect(failures).toEqual([
      {
        clientId: 'C-000007',
        reason: 'HTTP404:Not Found',
        lastStatus: 404,
        attempts: 1,
        body: '{"ErrorMessage":"Client C-000007 not found"}',
      },
    ]);
    const byStatus = JSON.parse((await cli(['failures', 'ops-1', '--by', 'status', '--json'])).out);
    expect(byStatus).toEqual([{ lastStatus: 404, count: 1, clientIds: ['C-000007'] }]);
    expect((await cli(['failures', 'ops-1', '--by', 'reason'])).out).toBe(
      'COUNT\tREASON\tCLIENTS\n1\tHTTP404:Not Found\tC-000007',
    );

    const out = path.join(h.dir, 'results.json');
    expect((await cli(['results', 'ops-1', '--out', out])).out).toBe(`Wrote 59 results of ops-1 to ${out}`);
    const exported = JSON.parse(await readFile(out, 'utf8')) as Array<{
      client: { ClientId: string; ClientName: string };
      data: { ClientId: string };
    }>;
    expect(exported).toHaveLength(59);
    expect(exported[0]).toEqual({
      client: { ClientId: 'C-000001', ClientName: 'Client 1' },
      data: expect.objectContaining({ ClientId: 'C-000001' }),
    });

    // A filter that takes none of the failures starts nothing, and says what it left.
    const none = await cli(['retry-failed', 'ops-1', '--status', '5xx,429', '--reason', 'Timeout*', '--worker-token']);
    expect(none).toMatchObject({
      code: 2,
      err: 'clientsync: batch ops-1 has no failed clients to retry (1 left: not status 5xx,429 or reason Timeout*); widen the filter',
    });
    expect((await cli(['retry-failed', 'ops-1', '--status', '5xx,abc'])).err).toMatch(
      /^clientsync: --status takes statuses such as 429, classes such as 5xx, or none, separated by commas; not "abc"$/,
    );

    h.api.configure({ missingIds: [] });
    const redrive = await cli(
      ['retry-failed', 'ops-1', '--id', 'ops-1-retry', '--token-stdin', '--task-queue', h.taskQueue],
      h.api.issueToken(),
    );
    expect(redrive.code).toBe(0);
    expect(redrive.out).toContain('Retrying 1 failed clients of ops-1 as ops-1-retry.');
    const summary = await resultOf(h.client.workflow.getHandle('ops-1-retry'));
    expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
    expect(h.api.ledger.clients.get('C-000007')?.successes).toBe(1);
  });

  it('pauses, resumes and cancels from the CLI', async () => {
    h.api.configure({ expireAfter: 0, latencyMs: 20 });
    const { path: file } = await h.clientFile(300);
    const r = await cli(
      ['start', '--clients', file, '--id', 'ops-2', '--task-queue', h.taskQueue, '--token-stdin'],
      h.api.issueToken(),
    );
    expect(r.code).toBe(0);
    const handle = h.client.workflow.getHandle('ops-2');
    await waitForProgress(handle, (p) => p.processed > 10);
    expect((await cli(['pause', 'ops-2'])).out).toMatch(/Paused ops-2/);
    await waitForState(handle, 'paused');
    expect((await cli(['resume', 'ops-2'])).out).toBe('Resumed ops-2.');
    await waitForState(handle, 'running');
    const cancelled = await cli(['cancel', 'ops-2']);
    expect(cancelled.out).toMatch(/^Cancelled ops-2: \d+ of 300 processed/);
    expect(JSON.parse((await cli(['status', 'ops-2', '--json'])).out).state).toBe('cancelled');
    expect(await cli(['pause', 'ops-2'])).toMatchObject({
      code: 2,
      err: 'clientsync: batch ops-2 has already ended (cancelled); there is nothing to pause',
    });
    expect(await cli(['refresh-token', 'ops-2', '--token-stdin'], h.api.issueToken())).toMatchObject({
      code: 2,
      err: 'clientsync: batch ops-2 has already ended (cancelled); there is nothing to refresh',
    });
    h.api.configure({ latencyMs: 0 });
  });

  it('warns about duplicate ids at start, and calls each once', async () => {
    const file = path.join(h.dir, 'dups.jsonl');
    await writeFile(file, ['d1', 'd2', 'd1', 'd3', 'd1'].map((id) => JSON.stringify({ ClientId: id })).join('\n'));
    const r = await cli(
      ['start', '--clients', file, '--id', 'ops-3', '--task-queue', h.taskQueue, '--token-stdin', '--wait'],
      h.api.issueToken(),
    );
    expect(r.code).toBe(0);
    expect(r.errors).toEqual(['warning: 2 duplicate entries (d1 ×3); each ClientId is called once']);
    expect(r.out).toMatch(/100% 5\/5 .* completed/);
    expect(['d1', 'd2', 'd3'].map((id) => h.api.ledger.clients.get(id)?.successes)).toEqual([1, 1, 1]);
  });
});
