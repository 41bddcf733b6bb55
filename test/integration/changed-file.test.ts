import { appendFile, copyFile, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeSignal } from '../../src/contract/messages';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { cli, operatorSession } from '../helpers/in-process-cli';

// A local clients file is recorded at start (size, mtime, SHA-256). The batch reads it by byte offset, so a
// file that changes under it would hand out ids from another file: instead the batch pauses, naming it.
describe('a local clients file that changes mid-batch', () => {
  let h: Harness;
  let session: { close(): Promise<void> };
  beforeAll(async () => {
    h = await createHarness({ latencyMs: 15 });
    session = await operatorSession(h);
  });
  afterAll(async () => {
    await session?.close();
    await h?.close();
  });

  it.each([
    [
      'rewritten with other ids (same size)',
      (f: string, text: string) => writeFile(f, text.replaceAll('C-', 'X-')),
      /same size, other content: SHA-256/,
    ],
    [
      'truncated',
      (f: string, text: string) => truncate(f, Math.floor(text.length / 2)),
      /its size is \d+ bytes, was \d+/,
    ],
    // Appends pause too: the added clients were never validated, counted or checked for duplicates.
    ['appended to', (f: string) => appendFile(f, '\n'), /its size is \d+ bytes, was \d+/],
  ])(
    'pauses when the file is %s, calls no id it did not start with, and goes on once the file is back',
    async (name, change, how) => {
      h.api.ledger.reset();
      const { path: file, ids } = await h.clientFile(300, { groupSize: 30 });
      const original = await readFile(file, 'utf8');
      const id = `changed-${name.split(' ')[0]}`;
      const r = await cli(
        [
          'start',
          '--clients',
          file,
          '--id',
          id,
          '--page-size',
          '20',
          '--concurrency',
          '2',
          '--task-queue',
          h.taskQueue,
          '--token-stdin',
        ],
        h.api.issueToken(),
      );
      expect(r.code).toBe(0);
      const handle = h.client.workflow.getHandle(id);
      await waitForProgress(handle, (p) => p.processed >= 30);
      await change(file, original);

      const paused = await waitForProgress(handle, (p) => p.state === 'paused');
      expect(paused.pausedBecause).toMatch(
        new RegExp(`^${file.replaceAll('/', '\\/')} changed since the batch started \\(`),
      );
      expect(paused.pausedBecause).toMatch(how);
      expect(paused.processed).toBeLessThan(300);
      expect(h.api.ledger.check(ids).unexpected).toEqual([]); // no id of the changed file was called

      // The fix the message names: put the original file back (a copy has another mtime, the same bytes), then resume.
      const backup = path.join(h.dir, 'original.json');
      await writeFile(backup, original);
      await copyFile(backup, file);
      await handle.signal(resumeSignal);
      const summary = await resultOf(handle);
      expect(summary).toMatchObject({ state: 'completed', succeeded: 300, failed: 0 });
      expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    },
  );
});
