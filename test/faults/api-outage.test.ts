import { afterEach, describe, expect, it } from 'vitest';
import { startAlertReceiver } from '../helpers/alert-receiver';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { startOutageProxy, type OutageProxy } from '../helpers/outage-proxy';
import { startPaced } from '../helpers/pace-scenarios';
import { setTimeout as sleep } from 'node:timers/promises';

describe('the pace through a long outage of the API', () => {
  let h: Harness | undefined;
  let proxy: OutageProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await h?.close();
    proxy = h = undefined;
  });

  it('waits out a 3-minute outage with no client failed, sends only probes meanwhile, and resumes within 10 s of the return', async () => {
    h = await createHarness({ latencyMs: 5 });
    proxy = await startOutageProxy({ host: '127.0.0.1', port: Number(new URL(h.api.origin).port) });
    const receiver = await startAlertReceiver();
    try {
      await spawnWorker(h);
      const { path, ids } = await h.clientFile(600);
      await startPaced(h, `${proxy.origin}/clients/`, path, 'outage', [
        '--rps',
        '20',
        '--notify',
        receiver.url,
        '--notify-every',
        '1m',
      ]);
      const handle = h.client.workflow.getHandle('outage');
      await waitForProgress(handle, (p) => p.processed >= 150);
      const downAt = Date.now();
      proxy.set('refuse');
      const open = await waitForProgress(handle, (p) => p.pace?.state === 'api-unavailable', 30_000);
      const status = spawnCli(h, ['status', 'outage']);
      await status.exited;
      expect(status.output()).toMatch(/API unavailable since \d\d:\d\d:\d\d · probing every \d+ s · 0 clients failed/);
      await sleep(90_000 - (Date.now() - downAt));
      proxy.set('hang');
      await sleep(180_000 - (Date.now() - downAt));
      const backAt = Date.now();
      proxy.set('up');
      const summary = await resultOf(handle);

      expect(summary).toMatchObject({ state: 'completed', succeeded: 600, failed: 0 });
      const check = h.api.ledger.check(ids);
      expect(check).toMatchObject({ missing: [], repeatedWithOtherKey: [], unexpected: [] });
      // A call the API answered as the outage cut its connection was done but never heard of: it is sent again.
      expect(check.repeated.length).toBeLessThanOrEqual(proxy.cutUnanswered());
      const resumedAfter = h.api.ledger.successTimes.find((t) => t >= backAt)! - backAt;
      const sent = proxy.outageRequests();
      // Once the batch saw the outage, one probe at a time: never two requests within a second of each other.
      const probes = sent.filter((t) => t >= Date.parse(open.pace!.apiUnavailableSince!) + 1000);
      const closest = Math.min(...probes.slice(1).map((t, i) => t - probes[i]!));
      console.log(
        `outage of 180 s: ${sent.length} requests sent (${sent.length - probes.length} before the breaker opened, then ${probes.length} probes, ` +
          `at least ${closest} ms apart); ${check.repeated.length} of ${proxy.cutUnanswered()} calls cut unanswered sent ` +
          `again; resumed ${resumedAfter} ms after the API's return`,
      );
      expect(sent.length - probes.length).toBeLessThanOrEqual(32);
      expect(closest).toBeGreaterThanOrEqual(900);
      expect(resumedAfter).toBeLessThan(10_000);
      expect(receiver.received.map((a) => a.event)).toEqual(['api-unavailable', 'api-back', 'ended']);
    } finally {
      await receiver.close();
    }
  });
});
