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
    h = await createHarness({ latencyMs: 20, missingIds: ['C-000003'] });
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
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 199, failed: 1 });
    expect(h.api.ledger.check(ids.filter((id) => id !== 'C-000003'))).toEqual({
      missing: [],
      repeated: [],
      repeatedWithOtherKey: [],
      unexpected: [],
    });
    expect(h.api.ledger.clients.get('C-000003')?.attempts).toBe(1);
    expect(start.output()).not.toContain(token);
  }, 120_000);
});
