import { afterEach, describe, expect, it } from 'vitest';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alert-receiver';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { createHarness, resultOf, type Harness } from '../helpers/harness';
import { historyText } from '../helpers/history-text';
import { setTimeout as sleep } from 'node:timers/promises';

async function until(what: string, predicate: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('alerts (start --notify)', () => {
  let h: Harness | undefined;
  let receiver: AlertReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    await h?.close();
  });

  it('tells a person when the batch waits for them, again while it waits, and when it ends; never the token or the URL', async () => {
    h = await createHarness({ expireAfter: 30 });
    receiver = await startAlertReceiver({ failFirst: true });
    const { path, ids } = await h.clientFile(60);
    const worker = await spawnWorker(h); // no token provider: an expiry needs a person
    const hook = `${receiver.origin}/services/T0001/B0001/s3cr3tHookPath`;
    const token = h.api.issueToken();
    const env = { API_TOKEN: token, TEMPORAL_UI_URL: 'http://web.example:8233' };
    const start = spawnCli(
      h,
      // One call at a time, so the expiry falls at exactly the 31st client.
      [
        'start',
        '--clients',
        path,
        '--api-url',
        h.api.baseUrl,
        '--id',
        'alerted',
        '--task-queue',
        h.taskQueue,
        '--notify',
        hook,
        '--notify-every',
        '2s',
        '--concurrency',
        '1',
      ],
      env,
    );
    expect(await start.exited).toBe(0);

    await until('a reminder', () => receiver!.received.some((a) => a.event === 'still-waiting'));
    const first = receiver.received[0]!;
    expect(first).toMatchObject({
      event: 'waiting-for-person',
      batchId: 'alerted',
      state: 'waiting-for-token',
      processed: 30,
      succeeded: 30,
      total: 60,
      resumeFromClientId: 'C-000031',
      webUrl: 'http://web.example:8233/namespaces/default/workflows/alerted',
      resumeCommand: 'clientsync refresh-token alerted',
    });
    expect(first.reason).toMatch(/^TokenExpired:401; no automatic refresh: the workers have no token provider$/);
    expect(first.text).toContain(
      'Fix that, then run `clientsync refresh-token alerted`. <http://web.example:8233/namespaces/default/workflows/alerted|Temporal Web>',
    );
    expect(receiver.requests()).toBeGreaterThan(receiver.received.length); // the 500 was retried, not lost

    const refresh = spawnCli(h, ['refresh-token', 'alerted', '--token-stdin']);
    const second = h.api.issueToken();
    refresh.child.stdin!.end(second);
    expect(await refresh.exited).toBe(0);
    const summary = await resultOf(h.client.workflow.getHandle('alerted'));
    expect(summary).toMatchObject({ state: 'completed', succeeded: 60 });
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    await until('the end alert', () => receiver!.received.some((a) => a.event === 'ended'));
    expect(receiver.received.at(-1)).toMatchObject({
      event: 'ended',
      state: 'completed',
      processed: 60,
      resumeCommand: null,
    });

    expect(worker.output()).toContain(`Alert sent to ${receiver.origin}: batch alerted waiting-for-person`);
    const places = {
      history: await historyText(h, 'alerted'),
      worker: worker.output(),
      alerts: JSON.stringify(receiver.received),
    };
    for (const [place, text] of Object.entries(places)) {
      expect(text.includes('s3cr3tHookPath'), `${place} holds the hook URL`).toBe(false);
      for (const t of [token, second]) expect(text.includes(t), `${place} holds a token`).toBe(false);
    }
  });
});
