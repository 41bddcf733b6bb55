import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverAnswers } from '../../src/connection/connection';
import { freePort } from '../helpers/ports';

const ROOT = path.resolve(__dirname, '../..');

describe('npm run demo', () => {
  it('tells the whole story on a machine with nothing running, and leaves nothing running', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'clientsync-demo-'));
    const port = await freePort();
    const uiPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_UI_PORT: String(uiPort),
      CLIENTSYNC_HOME: home,
    };
    delete env.API_TOKEN;
    delete env.TEMPORAL_UI_URL;
    const child = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect(out, out).toContain(`Starting the Temporal dev server on 127.0.0.1:${port}`);
    expect(out).toMatch(/Starting a batch over 2000 clients/);
    expect(out).toMatch(/The token expired: the batch is waiting for tokenRefreshed, resume from ClientId C-\d{6}\./);
    expect(out).toMatch(/Resumed batch demo-\w+: \d+ pending, resume from C-\d{6}/);
    expect(out).toMatch(/Batch demo-\w+ completed: 2000 succeeded, 0 failed, [1-9]\d* token refreshes/);
    expect(out).toContain("The API's ledger: 2000 clients called successfully, 0 missing, 0 called twice.");
    // The workers have no token provider: no status line promises an automatic refresh that will not come.
    expect(out).not.toMatch(/automatic refresh at/);
    expect(out).toMatch(
      new RegExp(`Temporal Web: http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/demo-\\w+`),
    );
    expect(out).toMatch(/\n {3}Console: http:\/\/127\.0\.0\.1:\d+\/link\/[\w-]+\.[\w-]+\.[\w-]+ \(signs you in/);
    expect(code).toBe(0);
    // The output is the story: a progress line every few seconds off a terminal, no stack traces (it was 578 lines).
    expect(out.trimEnd().split('\n').length, out).toBeLessThan(60);
    expect(out).not.toMatch(/\n\s+at |ApplicationFailure|\[WARN\]/);
    const results = JSON.parse(await readFile(path.join(home, 'demo', 'results.json'), 'utf8')) as unknown[];
    expect(results).toHaveLength(2000);
    expect(await serverAnswers(`127.0.0.1:${port}`)).toBe(false);
    await rm(home, { recursive: true, force: true });
  });

  it('ends with its error, and exit 1, when the Temporal server cannot start', async () => {
    // A port some other program holds: nothing Temporal answers there, and the server cannot bind it.
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as { port: number }).port;
    const home = await mkdtemp(path.join(tmpdir(), 'clientsync-demo-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_UI_PORT: String(await freePort()),
      CLIENTSYNC_HOME: home,
    };
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/clientsync.js'), 'demo'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ended = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000)),
    ]);
    if (ended === 'still running after 60 s') child.kill('SIGKILL');
    taken.close();
    await rm(home, { recursive: true, force: true });
    expect(ended, out).toBe(1);
    expect(out).toMatch(/\nclientsync: the Temporal server exited with code \d+/);
  });
});
