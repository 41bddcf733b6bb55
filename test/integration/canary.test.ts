import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { createHarness, resultOf, waitForState, type Harness } from '../helpers/harness';

describe('start --canary', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('calls the first clients, says what each got and how long the rest would take, pauses; resume calls the rest, none twice', async () => {
    const missing = ['C-000003', 'C-000010', 'C-000020', 'C-000030', 'C-000040', 'C-000050'];
    h = await createHarness({ latencyMs: 20, missingIds: missing });
    const { path: file, ids } = await h.clientFile(200);
    await spawnWorker(h);
    const token = h.api.issueToken();
    const start = spawnCli(
      h,
      [
        ...['start', '--clients', file, '--api-url', h.api.baseUrl, '--id', 'canary-1'],
        ...['--task-queue', h.taskQueue, '--canary', '5', '--concurrency', '8'],
      ],
      { API_TOKEN: token },
    );
    expect(await start.exited, start.output()).toBe(0);
    const lines = start.output().trim().split('\n');
    const calls = lines.filter((l) => l.startsWith('  C-'));
    expect(calls).toEqual([
      expect.stringMatching(/^ {2}C-000001 {2}200 {2}\d+ ms {2}\{.*"C-000001".*$/),
      expect.stringMatching(/^ {2}C-000002 {2}200 {2}\d+ ms {2}\{/),
      expect.stringMatching(/^ {2}C-000003 {2}404 {2}\d+ ms {2}\{"ErrorMessage":"Client C-000003 not found"\}$/),
      expect.stringMatching(/^ {2}C-000004 {2}200 /),
      expect.stringMatching(/^ {2}C-000005 {2}200 /),
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^The other 195 clients: about \d+s at \d+ ms a call and 8 calls in flight, if the API keeps that pace\.$/,
      ),
    );
    expect(lines.at(-1)).toBe('Call the rest: clientsync resume canary-1   (or stop here: clientsync cancel canary-1)');
    expect(h.api.ledger.requests).toBe(5);
    const handle = h.client.workflow.getHandle('canary-1');
    await waitForState(handle, 'paused');

    const status = spawnCli(h, ['status', 'canary-1']);
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(
      /paused · 1 failed · the canary has ended: its first 5 clients are called; to call the rest run `clientsync resume canary-1`/,
    );
    expect(await spawnCli(h, ['resume', 'canary-1']).exited).toBe(0);
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 194, failed: 6 });
    expect(h.api.ledger.check(ids.filter((id) => !missing.includes(id)))).toEqual({
      missing: [],
      repeated: [],
      repeatedWithOtherKey: [],
      unexpected: [],
    });
    expect(h.api.ledger.clients.get('C-000003')?.attempts).toBe(1);
    expect(start.output()).not.toContain(token);

    // Its 6 failed clients redriven: the new batch calls them without a canary of its own, and ends.
    const retry = spawnCli(h, ['retry-failed', 'canary-1', '--id', 'canary-1-retry', '--task-queue', h.taskQueue], {
      API_TOKEN: h.api.issueToken(),
    });
    expect(await retry.exited, retry.output()).toBe(0);
    const redrive = await resultOf(h.client.workflow.getHandle('canary-1-retry'));
    expect(redrive).toMatchObject({ state: 'completed', failed: 6 });
    expect(h.api.ledger.clients.get('C-000003')?.attempts).toBe(2);
  }, 120_000);

  it('says that a canary as long as the list holds every client, and reports the batch that ended', async () => {
    h = await createHarness({ latencyMs: 5 });
    const { path: file } = await h.clientFile(20);
    await spawnWorker(h);
    const start = spawnCli(
      h,
      [
        ...['start', '--clients', file, '--api-url', h.api.baseUrl, '--id', 'canary-all'],
        ...['--task-queue', h.taskQueue, '--canary', '50'],
      ],
      { API_TOKEN: h.api.issueToken() },
    );
    expect(await start.exited, start.output()).toBe(0);
    const lines = start.output().trim().split('\n');
    expect(lines).toContain(
      'warning: --canary 50 holds all 20 clients; the batch calls them all and ends, with no pause',
    );
    expect(lines.filter((l) => l.startsWith('  C-'))).toHaveLength(20);
    expect(lines.at(-1)).toBe('The batch completed: its canary held every client.');
  }, 60_000);
});
