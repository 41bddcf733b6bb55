import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeVerbose } from '../helpers/time-verbose';
import { defaultClientId, writeSeedClientFile } from '../../src/fake-api/client-file';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const COUNT = 1_000_000;

// Bad input at scale: a 1 GB client file is validated by streaming, never held in memory. The CLI runs
// with its heap capped at 128 MB, and its peak RSS (from /usr/bin/time) must stay far below the file's size.
describe('a 1 GB client file', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'clientsync-1g-'));
    file = path.join(dir, 'client_file.json');
    // A million clients with ~1 KB of other fields each; the last repeats the first, at the far end of the file.
    await writeSeedClientFile(file, COUNT, {
      groupSize: 1000,
      notesLength: 1040,
      idOf: (n) => defaultClientId(n === COUNT - 1 ? 0 : n),
    });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('streams through `start` validation: every client counted, the duplicate at its end found, memory far below its size', async () => {
    const bytes = (await stat(file)).size;
    expect(bytes).toBeGreaterThan(1024 ** 3);
    const { stdout, stderr } = await exec(
      '/usr/bin/time',
      [
        '-v',
        process.execPath,
        '--max-old-space-size=128',
        path.join(ROOT, 'dist/cli/boot/entry.js'),
        'start',
        '--clients',
        file,
        '--dry-run',
      ],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    expect(stdout).toContain(`${COUNT} clients (seed-json`);
    expect(stdout).toContain('Dry run: the file is valid; nothing was started.');
    expect(stderr).toContain('warning: 1 duplicate entries (C-000001 ×2); each ClientId is called once');
    const peakKb = timeVerbose(stderr).peakRssKb ?? Infinity;
    expect(peakKb * 1024).toBeLessThan(bytes / 3);
  });
});
