import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSeedClientFile } from '../../src/fake-api/client-file';
import { spawnCli, untilOutput, type CliProcess } from '../helpers/cli-process';
import { docFiles, readDoc, ROOT, testedExamples } from '../helpers/docs-check';
import { createHarness, type Harness } from '../helpers/harness';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';

/** Runs a shell script in its own process group, which is killed whole if it outlasts `timeoutMs`. */
function runScript(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, output });
    });
  });
}

// Every example marked `sh tested` in the docs runs here as written: `clientsync` on the PATH (the built CLI, as
// installed), a worker on the default task queue, the fake API at API_BASE_URL, and in the folder a
// `client_file.json` of 150 clients and a `token` file.
describe('the tested examples of the docs', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let cwd: string;
  let worker: CliProcess | undefined;
  beforeAll(async () => {
    h = await createHarness({ latencyMs: 20 });
    // One worker for every example: none starts or stops one.
    worker = spawnCli(h, ['worker'], { API_TOKEN: '' }, { forSuite: true });
    await untilOutput(worker, WORKER_READY, 90_000);
    cwd = path.join(h.dir, 'examples');
    const bin = path.join(h.dir, 'bin');
    await mkdir(cwd, { recursive: true });
    await mkdir(bin, { recursive: true });
    await writeFile(
      path.join(bin, 'clientsync'),
      `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin/clientsync.js'))} "$@"\n`,
    );
    await chmod(path.join(bin, 'clientsync'), 0o755);
    await writeSeedClientFile(path.join(cwd, 'client_file.json'), 150, { groupSize: 50 });
    await writeFile(path.join(cwd, 'token'), h.api.issueToken());
    env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      TEMPORAL_ADDRESS: h.address,
      CLIENTSYNC_SEAL_KEY: h.sealKey.toString('base64'),
      RESULTS_DATABASE_URL: h.storePath,
      CLIENTSYNC_HOME: path.join(h.dir, '.clientsync'),
      API_BASE_URL: h.api.baseUrl,
      API_TOKEN: h.api.issueToken(),
    };
  });
  afterAll(async () => {
    worker?.child.kill('SIGKILL');
    await h?.close();
  });

  const examples = docFiles().flatMap((file) =>
    testedExamples(readDoc(file)).map((script, i) => ({ name: `${file} #${i + 1}`, script })),
  );

  it('are found in the docs', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples)(
    '$name runs, each command exiting 0',
    async ({ script }) => {
      const run = await runScript(script, cwd, env, 200_000);
      expect(run.code, run.output).toBe(0);
    },
    240_000,
  );
});
