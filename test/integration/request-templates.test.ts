import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, keyOf, resultOf, waitForState, type Harness } from '../helpers/harness';
import { spawnCli, spawnWorker, type CliProcess } from '../helpers/cli-process';
import { historyText } from '../helpers/history-text';

/** The ledger of a batch that called each expected client once. */
const CLEAN = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

describe('any API: the request built from each client entry', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  /**
   * Runs a batch through the CLI with `flags`, refreshing the key each time it expires; returns what was said and the
   * summary.
   */
  async function runThroughCli(file: string, id: string, flags: string[]) {
    const worker = await spawnWorker(h);
    const start = spawnCli(h, ['start', '--clients', file, '--id', id, '--task-queue', h.taskQueue, ...flags], {
      API_TOKEN: h.api.issueToken(),
    });
    expect(await start.exited, start.output()).toBe(0);
    const handle = h.client.workflow.getHandle(id);
    const processes: CliProcess[] = [start];
    await waitForState(handle, 'waiting-for-token');
    const refresh = spawnCli(h, ['refresh-token', id, '--token-stdin']);
    refresh.child.stdin!.end(h.api.issueToken());
    expect(await refresh.exited).toBe(0);
    processes.push(refresh);
    const summary = await resultOf(handle);
    return { summary, worker, processes, history: await historyText(h, id) };
  }

  /** No key the API issued appears in history, the worker's log, the CLI's output, argv or the store. */
  async function expectNoKeyLeaked(run: Awaited<ReturnType<typeof runThroughCli>>, stored: string) {
    const places: Record<string, string> = {
      history: run.history,
      worker: run.worker.output(),
      cli: run.processes.map((p) => p.output()).join('\n'),
      argv: run.processes.map((p) => p.child.spawnargs.join(' ')).join('\n'),
      store: stored,
    };
    const keys = h.api.issuedTokens();
    expect(keys.length).toBe(2);
    for (const [place, text] of Object.entries(places)) {
      for (const key of keys) expect(text.includes(key), `${place} contains the API key`).toBe(false);
    }
  }

  it('POSTs a body built from two fields with an API key header; 409s count as successes; the key expires mid-batch and never leaks', async () => {
    h = await createHarness({ auth: 'header:X-Api-Key', expireAfter: 100 });
    const { path: file, ids } = await h.clientFile(150);
    const conflicts = ids.filter((_, n) => n % 10 === 3);
    h.api.configure({ conflictIds: conflicts });

    const run = await runThroughCli(file, 'post-batch', [
      ...['--api-url', `${h.api.origin}/clients`, '--method', 'POST', '--auth', 'header:X-Api-Key'],
      ...['--header', 'X-Source: clientsync', '--header', 'X-Client: {ClientId}'],
      ...['--body', '{"id": ClientId, "name": ClientName, "source": "clientsync"}', '--ok-status', '2xx,409'],
      ...['--result', '{"id": ClientId, "status": status}'],
    ]);

    expect(run.summary).toMatchObject({ state: 'completed', succeeded: 150, failed: 0, tokenRefreshes: 1 });
    const created = ids.filter((id) => !conflicts.includes(id));
    expect(h.api.ledger.check(created)).toEqual(CLEAN);
    for (const [n, id] of ids.entries()) {
      const rec = h.api.ledger.clients.get(id)!;
      if (conflicts.includes(id)) {
        expect({ id, conflicts: rec.conflicts, successes: rec.successes }).toEqual({ id, conflicts: 1, successes: 0 });
        continue;
      }
      expect(rec.writes).toHaveLength(1);
      expect(rec.writes![0]).toMatchObject({
        method: 'POST',
        body: { id, name: `Client ${n + 1}`, source: 'clientsync' },
        headers: {
          'x-source': 'clientsync',
          'x-client': id,
          'content-type': 'application/json',
          'idempotency-key': expect.stringMatching(/^post-batch:/),
        },
      });
    }

    // History holds the templates; no rendered body is in it.
    const history = run.history.replace(/\\/g, '');
    expect(history).toContain('"body":"{"id": ClientId, "name": ClientName, "source": "clientsync"}"');
    expect(history).not.toContain(`"id":"${ids[0]}","name":"Client 1"`);

    const rows = await h.store.list(keyOf(run.summary), 'succeeded');
    expect(rows).toHaveLength(150);
    const byId = new Map(rows.map((r) => [r.clientId, r]));
    // The store keeps the --result projection, not the whole body; a 409 is kept with its status.
    expect(JSON.parse(byId.get(created[0]!)!.data!)).toEqual({
      id: created[0],
      status: expect.stringMatching(/^(in)?active$/),
    });
    expect(byId.get(conflicts[0]!)).toMatchObject({ lastStatus: 409 });
    await expectNoKeyLeaked(run, JSON.stringify(rows));
  }, 180_000);

  it('GETs a URL with two fields and the key in the query; the key is in no history, log or argv', async () => {
    h = await createHarness({ auth: 'query:api_key', expireAfter: 40, missingIds: ['C-000007'] });
    const { path: file, ids } = await h.clientFile(80);

    const run = await runThroughCli(file, 'query-batch', [
      ...['--api-url', `${h.api.origin}/clients/{ClientId}?name={ClientName}`, '--auth', 'query:api_key'],
    ]);

    expect(run.summary).toMatchObject({ state: 'completed', succeeded: 79, failed: 1, tokenRefreshes: 1 });
    expect(h.api.ledger.check(ids.filter((id) => id !== 'C-000007'))).toEqual(CLEAN);
    const failed = await h.store.list(keyOf(run.summary), 'failed');
    expect(failed).toMatchObject([{ clientId: 'C-000007', reason: 'HTTP404:Not Found', lastStatus: 404 }]);
    await expectNoKeyLeaked(run, JSON.stringify(failed));
  }, 180_000);

  it('reads the fields of the object that holds each client: {$group.Region} in the URL and a header, $group in the body', async () => {
    h = await createHarness();
    const { path: file, ids } = await h.clientFile(60, { groupSize: 25 });
    await spawnWorker(h);
    const start = spawnCli(
      h,
      [
        ...['start', '--clients', file, '--id', 'group-batch', '--task-queue', h.taskQueue, '--method', 'PUT'],
        ...['--api-url', `${h.api.origin}/clients/{ClientId}?region={$group.Region}`],
        ...['--header', 'X-Region: {$group.Region}', '--body', '{"id": ClientId, "region": $group.Region}'],
      ],
      { API_TOKEN: h.api.issueToken() },
    );
    expect(await start.exited, start.output()).toBe(0);
    expect(await resultOf(h.client.workflow.getHandle('group-batch'))).toMatchObject({
      state: 'completed',
      succeeded: 60,
    });
    expect(h.api.ledger.check(ids)).toEqual(CLEAN);
    for (const [n, id] of ids.entries()) {
      const region = `R${Math.floor(n / 25)}`;
      expect(h.api.ledger.clients.get(id)!.writes).toMatchObject([
        { body: { id, region }, headers: { 'x-region': region } },
      ]);
    }
  }, 120_000);

  it('refuses, before anything starts, a client without a field the URL names, naming the client', async () => {
    h = await createHarness();
    const { path: file } = await h.clientFile(5);
    const start = spawnCli(
      h,
      [
        'start',
        '--clients',
        file,
        '--api-url',
        `${h.api.origin}/{Region}/clients/{ClientId}`,
        '--task-queue',
        h.taskQueue,
      ],
      {
        API_TOKEN: h.api.issueToken(),
      },
    );
    expect(await start.exited).toBe(2);
    expect(start.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /clients-\w+\.json: client 1 \(ClientId C-000001\) has no value for Region, which --api-url names; add it to every client or change the template$/,
      ),
    ]);

    const grouped = spawnCli(
      h,
      [
        'start',
        '--clients',
        file,
        '--api-url',
        `${h.api.origin}/{$group.Country}/{ClientId}`,
        '--task-queue',
        h.taskQueue,
      ],
      { API_TOKEN: h.api.issueToken() },
    );
    expect(await grouped.exited).toBe(2);
    expect(grouped.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        /clients-\w+\.json: the object that holds client 1 \(ClientId C-000001\) has no value for Country, which --api-url names as \{\$group\.Country\}; add it to every object or change the template$/,
      ),
    ]);
    expect(h.api.ledger.requests).toBe(0);
  }, 60_000);
});
