import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const CHECK = path.join(ROOT, 'temporal', 'compose-check');

/** Runs compose-spec's loader (temporal/compose-check) on a compose file; no Docker engine involved. */
async function composeCheck(file: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec('go', ['run', '.', file, path.join(ROOT, '.env.example')], {
      cwd: CHECK,
      env: { ...process.env, GOFLAGS: '-mod=readonly' },
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: e.code ?? -1, out: e.stderr ?? '' };
  }
}

describe('docker-compose.yml', () => {
  it("loads with compose-spec's own loader, with a scalable worker built from the Dockerfile", async () => {
    const r = await composeCheck(path.join(ROOT, 'docker-compose.yml'));
    expect(r.out).toMatch(/valid \(compose-spec loader\); services \[.*temporal-schema.*worker\]/);
    expect(r.code).toBe(0);
  }, 300_000);

  it('is refused when a key is misspelt or the worker cannot scale', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-compose-'));
    try {
      const good = await readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8');
      const typo = path.join(dir, 'typo.yml');
      await writeFile(typo, good.replace('    image: temporalio/ui:2.54.1', '    imagee: temporalio/ui:2.54.1'));
      expect(await composeCheck(typo)).toMatchObject({
        code: 1,
        out: expect.stringMatching(/services\.temporal-ui\.imagee/),
      });
      const pinned = path.join(dir, 'pinned.yml');
      await writeFile(
        pinned,
        good.replace('    restart: unless-stopped', '    container_name: worker\n    restart: unless-stopped'),
      );
      expect(await composeCheck(pinned)).toMatchObject({ code: 1, out: expect.stringMatching(/cannot be scaled/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
