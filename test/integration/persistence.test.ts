import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { openConnection } from '../../src/connection/connection';
import { NativeConnection } from '@temporalio/worker';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { memoryIO } from '../../src/cli/io';
import { server } from '../../src/cli/commands/server/server';
import { startFakeApi } from '../../src/fake-api';
import { writeSeedClientFile, clientIds } from '../../src/fake-api/client-file';
import { BATCH_WORKFLOW_TYPE, type BatchInput } from '../../src/contract/batch-input';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import type { BatchSummary } from '../../src/contract/progress';
import { SqliteResultsStore } from '../../src/store/sqlite-store';
import { serverAnswers } from '../../src/connection/connection';
import { sealToken } from '../../src/token/seal';
import { createWorker } from '../../src/worker/create-worker';
import { freePort } from '../helpers/ports';
import { waitForState } from '../helpers/harness';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { spawnCli, untilOutput, wiringFor } from '../helpers/cli-process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDevServer } from '../../src/temporal-server/dev-server';
import { cliServerTooOld, findTemporalCli } from '../../src/temporal-server/temporal-cli';

const exec = promisify(execFile);
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop(); // a failed test must not leave a server behind
});

/** Runs `clientsync server` in-process until `stop()` resolves it. */
async function runServer(opts: { port: number; uiPort: number; db: string }) {
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const io = memoryIO();
  const done = server(opts, io, stopped);
  running.push(async () => (stop(), await done.catch(() => {})));
  const address = `127.0.0.1:${opts.port}`;
  while (!io.lines.some((l) => l.startsWith('Temporal dev server ready'))) await sleep(100);
  return { io, stop: async () => (stop(), await done), address };
}

describe('clientsync server', () => {
  it('keeps a waiting batch across a restart on the same database, goes on at once after it, and refuses to start a second server', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-persist-'));
    const opts = { port: await freePort(), uiPort: await freePort(), db: path.join(dir, 'temporal.db') };
    const api = await startFakeApi();
    const key = randomBytes(32);
    const store = SqliteResultsStore.open(path.join(dir, 'results.db'));
    const clients = path.join(dir, 'clients.json');
    await writeSeedClientFile(clients, 30);
    const bundle = { codePath: inject('workflowBundlePath') };

    let srv = await runServer(opts);
    expect(srv.io.lines.join('\n')).toMatch(
      /Temporal dev server ready: gRPC 127\.0\.0\.1:\d+, Temporal Web http:\/\/127\.0\.0\.1:\d+/,
    );
    const second = memoryIO();
    await server(opts, second, Promise.resolve());
    expect(second.lines).toEqual([`A Temporal server already answers at ${srv.address}; not starting a second one.`]);

    // A batch whose token is already expired waits for tokenRefreshed: a workflow blocked on a signal.
    const expired = api.issueToken();
    api.expireAllTokens();
    let nc = await NativeConnection.connect({ address: srv.address });
    let conn = await openConnection({ address: srv.address });
    const input: BatchInput = {
      batchId: 'persisted',
      source: { path: clients, format: 'seed-json' },
      apiUrl: api.baseUrl,
      sealedToken: sealToken(expired, key),
    };
    let worker = await createWorker({
      connection: nc,
      taskQueue: 'persist',
      store,
      sealKey: async () => key,
      workflowBundle: bundle,
    });
    await worker.runUntil(async () => {
      const handle = await new Client({ connection: conn }).workflow.start(BATCH_WORKFLOW_TYPE, {
        taskQueue: 'persist',
        workflowId: 'persisted',
        args: [input],
      });
      await waitForState(handle, 'waiting-for-token');
    });
    await conn.close();
    await nc.close();
    await srv.stop();
    expect(await serverAnswers(srv.address)).toBe(false);

    srv = await runServer(opts);
    nc = await NativeConnection.connect({ address: srv.address });
    conn = await openConnection({ address: srv.address });
    worker = await createWorker({
      connection: nc,
      taskQueue: 'persist',
      store,
      sealKey: async () => key,
      workflowBundle: bundle,
    });
    let resumedIn = 0;
    const summary = await worker.runUntil(async () => {
      const handle = new Client({ connection: conn }).workflow.getHandle('persisted');
      const signalled = Date.now();
      await handle.signal(tokenRefreshedSignal, { sealedToken: sealToken(api.issueToken(), key) });
      const result = (await handle.result()) as BatchSummary;
      resumedIn = Date.now() - signalled;
      return result;
    });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 30, tokenRefreshes: 1 });
    // The restarted server serves at once: it does not first try to join the services of the one that stopped.
    expect(resumedIn).toBeLessThan(15_000);
    expect(api.ledger.check(clientIds(30)).missing).toEqual([]);

    await conn.close();
    await nc.close();
    await srv.stop();
    await store.close();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("starts on other ports when another process binds one of its services' ports before it does", async (ctx) => {
    // A temporal CLI on the PATH runs the dev server itself, on ports of its own choosing.
    const cli = await findTemporalCli();
    if (cli && !cliServerTooOld(cli)) ctx.skip();
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-port-taken-'));
    running.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const starting = new AbortController();
    const thief = takeServicePort(path.join(dir, 'temporal-config', String(port), 'dev.yaml'), starting.signal);
    thief.catch(() => {}); // awaited below; a rejection before then is not unhandled
    const lines: string[] = [];
    const srv = await startDevServer({
      port,
      dbFile: path.join(dir, 'temporal.db'),
      headless: true,
      log: (line) => lines.push(line),
    }).finally(() => starting.abort());
    running.push(srv.stop);
    const taken = await thief;
    running.push(async () => taken.close());
    expect(lines).toContain(
      `Port ${taken.port} was taken before the Temporal server could bind it; starting it on other ports.`,
    );
    expect(await serverAnswers(srv.address)).toBe(true);
  });

  it('says so, and exits 1, when the Temporal server stops by itself', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-server-dies-'));
    const port = await freePort();
    const args = ['server', '--port', String(port), '--ui-port', String(await freePort())];
    const srv = spawnCli(wiringFor(`127.0.0.1:${port}`, dir), [...args, '--db', path.join(dir, 'temporal.db')]);
    await untilOutput(srv, 'Temporal dev server ready');
    const { stdout } = await exec('pgrep', ['-P', String(srv.child.pid), '-f', 'temporal-server']);
    process.kill(Number(stdout.trim().split('\n')[0]), 'SIGKILL');
    expect(await srv.exited).toBe(1);
    expect(srv.output().trim().split('\n').at(-1)).toMatch(/^clientsync: the Temporal server stopped by itself: /);
    await rm(dir, { recursive: true, force: true });
  });
});

/**
 * Binds the history service's membership port as soon as the server's config names it: before the server, which
 * reads the file after it starts. Rejects if the server bound it first, or started without it, so that the test
 * cannot pass without a theft.
 */
async function takeServicePort(configFile: string, started: AbortSignal): Promise<{ port: number; close(): void }> {
  while (!started.aborted) {
    const text = await readFile(configFile, 'utf8').catch(() => '');
    const membership = [...text.matchAll(/membershipPort: (\d+)/g)].map((m) => Number(m[1]));
    if (membership.length === 4) {
      const port = membership[1]!;
      const holder = net.createServer();
      await new Promise<void>((resolve, reject) => {
        holder.once('error', reject);
        holder.listen(port, '127.0.0.1', resolve);
      });
      return { port, close: () => holder.close() };
    }
    await sleep(2);
  }
  throw new Error(`the server started before its config ${configFile} named its ports`);
}
