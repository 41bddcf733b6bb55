import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serverAnswers } from '../../src/connection/connection';
import { prepareNamespace } from '../../src/temporal-server/namespace';
import { startDevArgs } from '../../src/temporal-server/temporal-cli';
import {
  resolveBinary,
  TEMPORAL_CLI_VERSION,
  TEMPORAL_SERVER,
  TEMPORAL_SERVER_VERSION,
} from '../../src/temporal-server/provision';
import { spawnCli, untilOutput, wiringFor } from '../helpers/cli-process';
import { createHarness, resultOf, until } from '../helpers/harness';
import { freePort } from '../helpers/ports';
import { temporalCli } from '../helpers/temporal-cli';

const exec = promisify(execFile);

// A temporal CLI the user already has: clientsync runs its `server start-dev` when its server is recent enough,
// and says why not otherwise. The CLI the tests build (v1.5.1) embeds server v1.29.1, older than clientsync needs.
describe('a temporal CLI the user already has', () => {
  let cli = '';
  let dir = '';
  beforeAll(async () => {
    cli = await temporalCli();
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-temporal-cli-'));
  }, 900_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("starts a dev server with clientsync's arguments and dynamic config, on which a batch calls every client once", async () => {
    const port = await freePort();
    const args = await startDevArgs({ port, uiPort: 0, dbFile: path.join(dir, 'cli.db'), headless: true });
    const child = spawn(cli, args, { stdio: 'ignore' });
    const address = `127.0.0.1:${port}`;
    try {
      let answers = false;
      const probe = async () => (answers = await serverAnswers(address, 500));
      await until(() => (void probe(), answers), 60_000, `${address} to answer`);
      await prepareNamespace(address);
      const h = await createHarness({ latencyMs: 2 }, { address });
      try {
        const { path: file, ids } = await h.clientFile(60);
        const worker = await h.worker();
        const summary = await worker.runUntil(async () => resultOf(await h.startBatch(file)));
        expect(summary).toMatchObject({ state: 'completed', succeeded: 60, failed: 0 });
        expect(h.api.ledger.check(ids)).toEqual({
          missing: [],
          repeated: [],
          repeatedWithOtherKey: [],
          unexpected: [],
        });
      } finally {
        await h.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);

  it('is left aside, saying why, when its server is too old: named by TEMPORAL_CLI, or on the PATH', async () => {
    const cases = [
      { env: { TEMPORAL_CLI: cli }, found: 'named by TEMPORAL_CLI' },
      { env: { PATH: `${path.dirname(cli)}${path.delimiter}${process.env.PATH}` }, found: 'on the PATH' },
    ];
    for (const { env, found } of cases) {
      const port = await freePort();
      const args = ['server', '--port', String(port), '--ui-port', String(await freePort())];
      const server = spawnCli(
        wiringFor(`127.0.0.1:${port}`, dir),
        [...args, '--db', path.join(dir, `${port}.db`)],
        env,
      );
      await untilOutput(server, 'Temporal dev server ready', 120_000);
      expect(server.output()).toContain(
        `the temporal CLI v1.5.1 ${found} (${cli}) runs server v1.29.1; clientsync needs v1.32.0 or later, ` +
          "whose server tells a pinned batch that a new build is current: running clientsync's own Temporal server instead.",
      );
      expect(server.output()).toMatch(/\(server v1\.32\.1, Web v[\d.]+\)/);
      server.child.kill('SIGTERM');
      await server.exited;
    }
  }, 300_000);

  it('refuses a TEMPORAL_CLI that does not run, naming the fix', async () => {
    const port = await freePort();
    const server = spawnCli(wiringFor(`127.0.0.1:${port}`, dir), ['server', '--port', String(port)], {
      TEMPORAL_CLI: path.join(dir, 'no-such-temporal'),
    });
    expect(await server.exited).toBe(2);
    expect(server.output().trim()).toBe(
      `clientsync: TEMPORAL_CLI=${path.join(dir, 'no-such-temporal')} is not a temporal CLI that runs here; fix the path or unset it`,
    );
  });
});

describe('the Temporal binaries the project builds', () => {
  let temporalBin: string;
  beforeAll(async () => {
    temporalBin = await temporalCli();
  }, 900_000);
  it('runs the pinned server release, which the pinned CLI talks to', async () => {
    const { stdout } = await exec((await resolveBinary(TEMPORAL_SERVER)).path, ['--version']);
    expect(stdout).toContain(TEMPORAL_SERVER_VERSION);
    const system = await exec(temporalBin, [
      'operator',
      'cluster',
      'system',
      '--address',
      inject('temporalAddress'),
      '--output',
      'json',
    ]);
    expect(JSON.parse(system.stdout)).toMatchObject({ serverVersion: TEMPORAL_SERVER_VERSION });
  });

  it('stamps the CLI with its release, not 0.0.0-DEV', async () => {
    const { stdout } = await exec(temporalBin, ['--version']);
    expect(stdout).toMatch(new RegExp(`^temporal version ${TEMPORAL_CLI_VERSION.replace(/\./g, '\\.')} `));
  });
});
