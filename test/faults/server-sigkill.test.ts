import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serverAnswers } from '../../src/connection/connection';
import { type CliProcess, spawnCli, untilOutput, wiringFor } from '../helpers/cli-process';
import { freeClusterPort, freePort } from '../helpers/ports';
import { setTimeout as sleep } from 'node:timers/promises';

// `clientsync server` killed as a crash or the OOM killer kills it (SIGKILL: no exit handler runs) must take
// every Temporal process it started with it, so that the next start finds its ports free.

/** The processes whose command line mentions `text`. */
async function processesWith(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ').slice(0, 120)}`);
  }
  return found;
}

/** Waits until no process mentions `text`; returns what is left after `ms`. */
async function goneWithin(text: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await processesWith(text);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(250);
  }
}

async function serverProcess(dir: string, args: string[], ready: string): Promise<CliProcess> {
  const wiring = wiringFor(`127.0.0.1:${args[args.indexOf('--port') + 1]}`, dir);
  return untilOutput(spawnCli(wiring, ['server', ...args], { TEMPORAL_UI_URL: undefined }), ready, 300_000);
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('nothing outlives a SIGKILLed clientsync server', () => {
  it('the dev server ends with it, its ports are free again, and a start links to its own Temporal Web', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-kill-dev-'));
    dirs.push(dir);
    const [port, uiPort] = [await freePort(), await freePort()];
    const args = ['--port', String(port), '--ui-port', String(uiPort), '--db', path.join(dir, 'temporal.db')];
    const first = await serverProcess(dir, args, 'Temporal dev server ready');
    expect(await processesWith(dir)).toHaveLength(3); // clientsync, the Temporal server and Temporal Web

    first.child.kill('SIGKILL');
    expect(await goneWithin(dir, 15_000)).toEqual([]);
    expect(await serverAnswers(`127.0.0.1:${port}`)).toBe(false);

    const second = await serverProcess(dir, args, 'Temporal dev server ready');
    const wiring = wiringFor(`localhost:${port}`, dir);
    const clients = path.join(dir, 'clients.json');
    await writeFile(clients, JSON.stringify([{ ClientList: [{ ClientId: 'C-1' }] }]));
    const start = spawnCli(
      wiring,
      ['start', '--clients', clients, '--api-url', 'http://127.0.0.1:9/', '--id', 'linked', '--worker-token'],
      {
        TEMPORAL_UI_URL: undefined,
      },
    );
    expect(await start.exited, start.output()).toBe(0);
    expect(start.output()).toContain(`Temporal Web: http://127.0.0.1:${uiPort}/namespaces/default/workflows/linked`);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await goneWithin(dir, 15_000)).toEqual([]);
  });

  it('every service of a PostgreSQL cluster ends with it, and the next start on the same ports comes up', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-kill-cluster-'));
    dirs.push(dir);
    const db = `cs_kill_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const url = Object.assign(new URL(inject('databaseUrl')), { pathname: `/${db}` }).toString();
    const args = ['--postgres', url, '--port', String(await freeClusterPort()), '--ui-port', String(await freePort())];
    try {
      const first = await serverProcess(dir, args, 'Temporal cluster ready');
      // frontend, history, matching, worker and Temporal Web, each started with a config under `dir`
      expect((await processesWith(dir)).length).toBeGreaterThanOrEqual(5);
      first.child.kill('SIGKILL');
      expect(await goneWithin(dir, 30_000)).toEqual([]);

      const second = await serverProcess(dir, args, 'Temporal cluster ready');
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(await goneWithin(dir, 30_000)).toEqual([]);
    } finally {
      const admin = new pg.Client({ connectionString: inject('databaseUrl') });
      await admin.connect();
      for (const name of [db, `${db}_visibility`]) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
