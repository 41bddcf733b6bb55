import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { serverAnswers } from '../../src/connection/connection';
import { spawnCli, spawnWorker, untilOutput, wiringFor } from '../helpers/cli-process';
import { createHarness, waitForState, type Harness } from '../helpers/harness';
import { cli, operatorSession } from '../helpers/in-process-cli';
import { freePort } from '../helpers/ports';
import { setTimeout as sleep } from 'node:timers/promises';

// A connection made while no server answers must not make later ones wait: grpc-js shares a subchannel among
// channels with the same target and options, and its reconnect backoff grows for as long as it is held.

const OUTAGE_MS = 180_000;

const servers: DevServer[] = [];
const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
  for (const s of servers) await s.stop();
});

async function devServer(port: number, dbFile: string): Promise<DevServer> {
  const server = await startDevServer({ port, uiPort: await freePort(), dbFile, headless: true });
  servers.push(server);
  return server;
}

/** How long `step` took, in ms. */
async function timed(step: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await step();
  return Date.now() - started;
}

describe('connecting once the server answers', () => {
  it('a probe long before the server starts delays none of the demo’s connects', async () => {
    const port = await freePort();
    const address = `localhost:${port}`; // the demo's default target names localhost, as TEMPORAL_ADDRESS does
    expect(await serverAnswers(address)).toBe(false);
    await sleep(70_000); // long enough for a held subchannel's backoff to reach 40 s
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-backoff-'));
    const startWait = await timed(() => devServer(port, path.join(dir, 'temporal.db')));
    let h!: Harness;
    const harness = await timed(async () =>
      harnesses.push((h = await createHarness({ expireAfter: 1e9 }, { address }))),
    );
    const session = await operatorSession(h);
    try {
      const { path: file } = await h.clientFile(20);
      const tokenFile = path.join(dir, 'token');
      await writeFile(tokenFile, h.api.issueToken());
      const startArgs = [
        'start',
        '--clients',
        file,
        '--api-url',
        h.api.baseUrl,
        '--token-file',
        tokenFile,
        '--id',
        'backoff-batch',
        '--task-queue',
        h.taskQueue,
      ];
      let started!: Awaited<ReturnType<typeof cli>>;
      const start = await timed(async () => (started = await cli(startArgs)));
      expect(started.code, started.err).toBe(0);
      let watched!: Awaited<ReturnType<typeof cli>>;
      const status = await timed(async () => (watched = await cli(['status', 'backoff-batch'])));
      expect(watched.code, watched.err).toBe(0);
      // The server-start wait polls every 200 ms; each command connects, then does its own work.
      const took = { startWait, harness, start, status };
      expect(Math.max(harness, start, status), JSON.stringify(took)).toBeLessThan(2000);
    } finally {
      await session.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Both wait out 3 minutes: they share them (processes a test spawns are killed when it ends, so not it.concurrent).
  it('a worker started before its server, and status --watch across an outage, connect within seconds of it answering', async () => {
    await Promise.all([earlyWorker(), watchAcrossOutage()]);
  });
});

/** A `clientsync worker` started 3 minutes before its server polls within seconds of the server answering. */
async function earlyWorker(): Promise<void> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-early-worker-'));
  const place = wiringFor(`127.0.0.1:${port}`, dir);
  const worker = spawnCli(place, ['worker', '--task-queue', 'early']);
  await sleep(OUTAGE_MS);
  expect(worker.output()).toContain(`waiting for Temporal at 127.0.0.1:${port}`);
  expect(worker.output()).not.toContain(WORKER_READY);
  await devServer(port, path.join(dir, 'temporal.db'));
  const up = Date.now();
  await untilOutput(worker, WORKER_READY);
  expect(Date.now() - up).toBeLessThan(5000);
  worker.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  await rm(dir, { recursive: true, force: true });
}

/** `status --watch` carries on across a 3-minute server outage, sees the server within seconds, then the batch end. */
async function watchAcrossOutage(): Promise<void> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-outage-'));
  const dbFile = path.join(dir, 'temporal.db');
  let server = await devServer(port, dbFile);
  const h = await createHarness({ expireAfter: 60, latencyMs: 2 }, { address: server.address });
  harnesses.push(h);
  const { path: file, ids } = await h.clientFile(100); // one expiry, after 60 calls
  const handle = await h.startBatch(file, { options: { concurrency: 4 } });
  const worker = await spawnWorker(h);
  await waitForState(handle, 'waiting-for-token');
  const watch = spawnCli(h, ['status', handle.workflowId, '--watch']);
  await untilOutput(watch, 'waiting-for-token');

  await server.stop();
  await sleep(OUTAGE_MS);
  expect(watch.output()).toContain('Temporal does not answer');
  server = await devServer(port, dbFile);
  const up = Date.now();
  await untilOutput(watch, 'Temporal answers again');
  // The watch's query is answered by the worker, which reconnects too: each waits out a backoff of at most 2 s,
  // on a machine that is also starting the server. Seconds, not the tens of seconds a shared backoff took.
  expect(Date.now() - up).toBeLessThan(10_000);

  const tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, h.api.issueToken());
  const refresh = spawnCli(h, ['refresh-token', handle.workflowId, '--token-file', tokenFile]);
  expect(await refresh.exited, refresh.output()).toBe(0);
  expect(await watch.exited, watch.output()).toBe(0);
  expect(watch.output()).toMatch(/completed/);
  const check = h.api.ledger.check(ids);
  expect({ missing: check.missing, repeated: check.repeated }).toEqual({ missing: [], repeated: [] });
  // The SDK core's own complaints during the outage come through the worker's logger: one plain line each, no colour
  // codes.
  const lines = worker.output().trimEnd().split('\n');
  expect(
    lines.filter(
      (l) => !/^(clientsync worker |\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR) )/.test(l) || l.includes('\u001b'),
    ),
  ).toEqual([]);
  await rm(dir, { recursive: true, force: true });
}
