import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, keyOf, resultOf, type Harness } from '../helpers/harness';

const noFailures = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

describe('a batch over a tricky source', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('calls each duplicate ClientId once, and URL-encodes ids with /, spaces and unicode', async () => {
    h = await createHarness();
    const tricky = ['a/b', 'with space', '客户-1', 'a/b', 'plain', 'with space', 'x?y#z'];
    const file = path.join(h.dir, 'tricky.jsonl');
    await writeFile(file, tricky.map((id) => JSON.stringify({ ClientId: id })).join('\n'));
    const worker = await h.worker();
    const summary = await worker.runUntil(async () => resultOf(await h.startBatch(file)));
    expect(h.api.ledger.check(new Set(tricky))).toEqual(noFailures);
    expect(summary).toMatchObject({
      state: 'completed',
      total: 7,
      processed: 7,
      succeeded: 5,
      duplicates: 2,
      failed: 0,
    });
  });

  it('fails clients the API does not know, and goes on', async () => {
    h = await createHarness({ missingIds: ['C-000003', 'C-000007'] });
    const { path: file } = await h.clientFile(10);
    const worker = await h.worker();
    const summary = await worker.runUntil(async () => resultOf(await h.startBatch(file)));
    expect(summary).toMatchObject({ state: 'completed', succeeded: 8, failed: 2 });
    expect((await h.store.list(keyOf(summary), 'failed')).map((r) => [r.clientId, r.reason, r.lastStatus])).toEqual([
      ['C-000003', 'HTTP404:Not Found', 404],
      ['C-000007', 'HTTP404:Not Found', 404],
    ]);
  });

  it('counts a client as failed with its last reason when retries run out', async () => {
    h = await createHarness({ faultRate: 1 });
    const { path: file } = await h.clientFile(3);
    const worker = await h.worker();
    const summary = await worker.runUntil(async () =>
      resultOf(
        await h.startBatch(file, {
          options: { retry: { maximumAttempts: 3, initialIntervalMs: 20, maximumIntervalMs: 50 } },
        }),
      ),
    );
    expect(summary).toMatchObject({ state: 'completed', succeeded: 0, failed: 3 });
    expect(h.api.ledger.requests).toBe(9);
    expect(await h.store.list(keyOf(summary), 'failed')).toMatchObject([
      { clientId: 'C-000001', reason: 'HTTP503:Service Unavailable', lastStatus: 503, attempts: 3 },
      { clientId: 'C-000002', attempts: 3 },
      { clientId: 'C-000003', attempts: 3 },
    ]);
  });

  it.each([
    ['a missing file', null, /bad\.json does not exist(?!; check)/],
    [
      'malformed JSON',
      '[{"ClientList":[{"ClientId":"a"},{"ClientId":"b",}]}]',
      /byte \d+, object #1 \(client #2\): not valid JSON/,
    ],
    [
      'a client without ClientId',
      '[{"ClientList":[{"ClientId":"a"},{"Name":"b"}]}]',
      /client #2\): the client has no ClientId/,
    ],
    ['an empty list', '[{"ClientList":[]}]', /has no clients; nothing to call/],
  ])('fails on %s before any API call, naming the place', async (_name, text, message) => {
    h = await createHarness();
    const file = path.join(h.dir, 'bad.json');
    if (text !== null) await writeFile(file, text);
    const worker = await h.worker();
    const err = await worker.runUntil(async () =>
      resultOf(await h.startBatch(file, { total: undefined })).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'BadSource', nonRetryable: true });
    expect((cause as ApplicationFailure).message).toMatch(message);
    expect(h.api.ledger.requests).toBe(0);
  });
});
