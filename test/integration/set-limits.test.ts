import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { busiestRate } from '../helpers/busiest-window';
import { createHarness, resultOf, until, waitForProgress, type Harness } from '../helpers/harness';
import { cli, operatorSession } from '../helpers/in-process-cli';

describe('clientsync set', () => {
  let h: Harness;
  let session: { close(): Promise<void> };
  beforeAll(async () => {
    h = await createHarness({ latencyMs: 5 });
    session = await operatorSession(h);
  });
  afterAll(async () => {
    await session?.close();
    await h?.close();
  });
  beforeEach(() => h.api.ledger.reset()); // the tests share the API and its client ids

  it("paces a running batch: after `set --rps 20` the API's busiest 5 s window is at most 21 calls/s", async () => {
    const { path } = await h.clientFile(3000);
    const start = await cli(
      [
        'start',
        '--clients',
        path,
        '--id',
        'set-rps',
        '--concurrency',
        '8',
        '--task-queue',
        h.taskQueue,
        '--token-stdin',
      ],
      h.api.issueToken(),
    );
    expect(start.code).toBe(0);
    const handle = h.client.workflow.getHandle('set-rps');
    await waitForProgress(handle, (p) => p.processed >= 100);
    const before = busiestRate([...h.api.ledger.successTimes], 1000);

    const set = await cli(['set', 'set-rps', '--rps', '20']);
    expect(set).toMatchObject({
      code: 0,
      out: 'Batch set-rps: concurrency 8, 20 calls/s, pace adaptive, breaker on, max failures none (was concurrency 8, no rate limit, pace adaptive, breaker on, max failures none)',
    });
    const setAt = Date.now();
    // Calls already on their way when the change arrived may land in its first second; then 200 paced calls.
    const paced = () => h.api.ledger.successTimes.filter((t) => t >= setAt + 1000);
    await until(() => paced().length >= 200, 60_000, '200 calls after the change');
    const status = (await cli(['status', 'set-rps'])).out;
    expect(status).toContain('limits: concurrency 8, 20 calls/s, pace adaptive, breaker on, max failures none');
    expect(status).toMatch(/pace: 20\/s of 20 · concurrency \d of 8/);
    await cli(['cancel', 'set-rps']);
    await resultOf(handle);

    const after = paced();
    const busiest = busiestRate(after, 5000);
    console.log(
      `set --rps 20: before ${before.toFixed(0)} calls/s (busiest second); after, busiest 5 s window ${busiest.toFixed(1)} calls/s over ${after.length} calls`,
    );
    expect(before).toBeGreaterThan(40); // the limit is what slowed it
    expect(busiest).toBeLessThanOrEqual(21);
  });

  it('pauses a batch whose failed clients exceed --max-failures, says why, and finishes after `set` raises it and `resume`', async () => {
    const { path, ids } = await h.clientFile(120);
    const missing = ids.filter((_, i) => i % 10 === 9); // 12 clients answer 404
    h.api.configure({ missingIds: missing });
    try {
      const start = await cli(
        [
          'start',
          '--clients',
          path,
          '--id',
          'max-failures',
          '--max-failures',
          '3',
          '--concurrency',
          '2',
          '--task-queue',
          h.taskQueue,
          '--token-stdin',
        ],
        h.api.issueToken(),
      );
      expect(start.code).toBe(0);
      const handle = h.client.workflow.getHandle('max-failures');
      const paused = await waitForProgress(handle, (p) => p.state === 'paused' && p.inFlight === 0);
      // Strictly more than 3: the 4th trips it; a chunk in flight then may add its own before the batch stops.
      expect(paused.failed).toBeGreaterThanOrEqual(4);
      expect((await cli(['status', 'max-failures'])).out).toContain(
        `paused · ${paused.failed} failed · 4 clients failed, more than --max-failures 3 (or raise it: \`clientsync set max-failures --max-failures …\`); fix that, then run \`clientsync resume max-failures\``,
      );
      // 12 of 120 fail in the end (10%); two calls run at once, so a failure can settle before the success
      // listed ahead of it (11 of 109 is past 10%). 20% leaves room for that order.
      expect((await cli(['set', 'max-failures', '--max-failures', '20%'])).code).toBe(0);
      expect((await cli(['resume', 'max-failures'])).code).toBe(0);
      const summary = await resultOf(handle);
      expect(summary).toMatchObject({ state: 'completed', processed: 120, succeeded: 108, failed: 12 });
      const ok = ids.filter((id) => !missing.includes(id));
      expect(h.api.ledger.check(ok)).toMatchObject({ missing: [], repeated: [] });
    } finally {
      h.api.configure({ missingIds: [] });
    }
  });

  it('refuses a bad value or nothing to set in one line, and a batch that has ended', async () => {
    expect(await cli(['set', 'set-rps'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/nothing to set: pass --concurrency/),
    });
    expect(await cli(['set', 'set-rps', '--concurrency', '0'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/expected a whole number from 1 to 1000/),
    });
    expect(await cli(['set', 'set-rps', '--max-failures', 'many'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/expected a number of clients \(e\.g\. 50\) or a percentage/),
    });
    expect(await cli(['set', 'set-rps', '--rps', '5'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/batch set-rps has already ended \(cancelled\); there is nothing to set/),
    });
  });
});
