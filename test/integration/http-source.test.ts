import { rename } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, beforeEach } from 'vitest';
import { writeSeedClientFile } from '../../src/fake-api/client-file';
import { createHarness, resultOf, waitForState, type Harness } from '../helpers/harness';
import { startFileServer, type FileServer } from '../helpers/file-server';
import { cli, operatorSession } from '../helpers/in-process-cli';

// Client files served over HTTP, as from S3/GCS (presigned URLs) or nginx: no host has to hold the file.
let h: Harness;
let files: FileServer;
let session: { close(): Promise<void> };

beforeAll(async () => {
  h = await createHarness({ latencyMs: 2 });
  files = await startFileServer(h.dir);
  session = await operatorSession(h, { API_TOKEN: h.api.issueToken() });
});
beforeEach(() => h.api.ledger.reset()); // the tests share one fake API

afterAll(async () => {
  await session.close();
  await files.close();
  await h.close();
});

describe('a clients file over HTTP', () => {
  it('is read page by page with Range requests, every client called once', async () => {
    const { path: file, ids } = await h.clientFile(700, { groupSize: 90 });
    const url = `${files.origin}/${path.basename(file)}?X-Amz-Signature=secret-part`;
    const r = await cli([
      'start',
      '--clients',
      url,
      '--id',
      'http-batch',
      '--page-size',
      '100',
      '--task-queue',
      h.taskQueue,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      `${files.origin}/${path.basename(file)}: 700 clients (seed-json, ${files.origin}/${path.basename(file)})`,
    );
    expect(r.out).not.toContain('secret-part'); // a presigned URL's signature stays out of what is printed
    const summary = await resultOf(h.client.workflow.getHandle('http-batch'));
    expect(summary).toMatchObject({ state: 'completed', succeeded: 700 });
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(files.rangeRequests()).toBeGreaterThanOrEqual(8); // the probe, validation and 7 pages
  });

  it('is refused at start, in one line, when the server does not honour Range', async () => {
    const plain = await startFileServer(h.dir, { ranges: false });
    try {
      const { path: file } = await h.clientFile(10);
      const r = await cli([
        'start',
        '--clients',
        `${plain.origin}/${path.basename(file)}`,
        '--task-queue',
        h.taskQueue,
      ]);
      expect(r.code).toBe(2);
      expect(r.errors).toEqual([
        expect.stringMatching(
          /^clientsync: http:\/\/127\.0\.0\.1:\d+\/.*\.json does not honour Range requests \(answered 200 with the whole file\); serve it from a server that does/,
        ),
      ]);
    } finally {
      await plain.close();
    }
  });

  it('pauses the batch, naming the file, when it changes mid-batch, and calls no id of the new file', async () => {
    const { path: file } = await h.clientFile(600, { groupSize: 50 });
    h.api.configure({ latencyMs: 20 });
    try {
      const r = await cli([
        'start',
        '--clients',
        `${files.origin}/${path.basename(file)}`,
        '--id',
        'http-changed',
        '--page-size',
        '50',
        '--concurrency',
        '2',
        '--task-queue',
        h.taskQueue,
      ]);
      expect(r.code).toBe(0);
      const handle = h.client.workflow.getHandle('http-changed');
      // Replace the object, as a re-upload does: new content, new ETag and size.
      const replacement = path.join(h.dir, 'replacement.json');
      await writeSeedClientFile(replacement, 650, { idOf: (n) => `NEW-${n}` });
      await rename(replacement, file);
      const paused = await waitForState(handle, 'paused', 60_000);
      expect(paused.pausedBecause).toMatch(
        new RegExp(`${path.basename(file)} changed since the batch started \\((its ETag is|its size is)`),
      );
      expect(paused.processed).toBeLessThan(600);
      expect([...h.api.ledger.clients.keys()].filter((id) => id.startsWith('NEW-'))).toEqual([]);
      await handle.cancel();
      expect(await resultOf(handle)).toMatchObject({ state: 'cancelled' });
    } finally {
      h.api.configure({ latencyMs: 2 });
    }
  });
});
