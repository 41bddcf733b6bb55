import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnInstalled } from '../helpers/cli-process';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { operatorSession } from '../helpers/in-process-cli';

// The commands people run in loops, as installed (bin/clientsync.js): they load the CLI and the Temporal
// client from one bundle, through V8's code cache (src/cli/boot/bundle.ts), and must work exactly as from source.
let h: Harness;
let session: { close(): Promise<void> };
beforeAll(async () => {
  h = await createHarness({ expireAfter: 20, latencyMs: 1 });
  session = await operatorSession(h); // a worker on the harness's queue, and API_BASE_URL for `start`
});
afterAll(async () => {
  await session.close();
  await h.close();
});

// Written at exit by each run: the installed @temporalio files and CLI modules that run loaded.
const LOADED_REPORT = `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_REPORT, JSON.stringify(Object.keys(require.cache))));`;

describe('client commands as installed', () => {
  it('start, status, refresh-token and list run from the bundle with the code cache, and call each client once', async () => {
    const cacheHome = await mkdtemp(path.join(tmpdir(), 'clientsync-cache-'));
    const report = path.join(h.dir, 'loaded.json');
    const preload = path.join(h.dir, 'loaded-report.js');
    await writeFile(preload, LOADED_REPORT);
    const run = async (args: string[], stdin?: string) => {
      const p = spawnInstalled(h, args, {
        XDG_CACHE_HOME: cacheHome,
        NODE_OPTIONS: `--require ${preload}`,
        LOADED_REPORT: report,
      });
      if (stdin !== undefined) p.child.stdin!.end(stdin);
      const code = await p.exited;
      const loaded = JSON.parse(await readFile(report, 'utf8')) as string[];
      return { code, out: p.output(), loaded };
    };
    const cacheFiles = async () => {
      const root = path.join(cacheHome, 'clientsync', 'code-cache');
      const dirs = await readdir(root);
      return (
        await Promise.all(dirs.map(async (d) => (await readdir(path.join(root, d))).map((f) => path.join(root, d, f))))
      ).flat();
    };

    const { path: file, ids } = await h.clientFile(50);
    const started = await run(
      [
        'start',
        '--clients',
        file,
        '--id',
        'installed-1',
        '--token-stdin',
        '--task-queue',
        h.taskQueue,
        '--no-auto-refresh',
      ],
      h.api.issueToken(),
    );
    expect(started).toMatchObject({ code: 0, out: expect.stringContaining('Started batch installed-1') });
    // One copy of the Temporal packages, the bundle's: no installed @temporalio file and not the unbundled CLI.
    expect(
      started.loaded.filter((f) => f.includes('/node_modules/@temporalio/') || f.endsWith('/dist/cli/main.js')),
    ).toEqual([]);
    const [cache, ...others] = await cacheFiles();
    expect(others).toEqual([]);
    const written = (await stat(cache!)).mtimeMs;

    const handle = h.client.workflow.getHandle('installed-1');
    let refreshes = 0;
    while ((await handle.describe()).status.name === 'RUNNING') {
      const waiting = await waitForProgress(
        handle,
        (p) => p.state === 'completed' || (p.state === 'waiting-for-token' && p.inFlight === 0),
      );
      if (waiting.state === 'completed') break;
      const status = await run(['status', 'installed-1', '--json']);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.out)).toMatchObject({
        batchId: 'installed-1',
        state: 'waiting-for-token',
        processed: waiting.processed,
      });
      const refreshed = await run(['refresh-token', 'installed-1', '--token-stdin'], h.api.issueToken());
      expect(refreshed).toMatchObject({
        code: 0,
        out: expect.stringContaining(`Resumed batch installed-1: ${waiting.pending} pending`),
      });
      refreshes++;
    }
    expect(refreshes).toBeGreaterThanOrEqual(2); // tokens last 20 calls
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 50, failed: 0 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });

    const listed = await run(['list', '--json']);
    expect(JSON.parse(listed.out)).toContainEqual(
      expect.objectContaining({ batchId: 'installed-1', state: 'completed', processed: 50 }),
    );
    const unknown = await run(['status', 'no-such']);
    expect(unknown).toMatchObject({
      code: 2,
      out: 'clientsync: no batch with id no-such; `clientsync list` shows the batches\n',
    });
    // Every later run used the first run's cache rather than writing its own.
    expect(await cacheFiles()).toEqual([cache]);
    expect((await stat(cache!)).mtimeMs).toBe(written);
  });
});
