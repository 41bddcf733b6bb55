import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';

describe('a worker with the wrong sealing key', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('makes the batch wait, naming both keys, never calling with plaintext or failing a client; the right key resumes it', async () => {
    h = await createHarness();
    const { path, ids } = await h.clientFile(50);
    const sealed = h.seal(h.api.issueToken());
    const handle = await h.startBatch(path, { sealedToken: sealed });
    const wrong = await spawnWorker(h, { CLIENTSYNC_SEAL_KEY: randomBytes(32).toString('base64') });
    const waiting = await waitForProgress(handle, (p) => p.state === 'waiting-for-token');
    expect(waiting.lastTokenError).toMatch(
      /the token was sealed with key \w{8} but this process has key \w{8}; give the workers the CLI's CLIENTSYNC_SEAL_KEY/,
    );
    expect(waiting).toMatchObject({ processed: 0, failed: 0 });
    // `status` names both key fingerprints too.
    const status = spawnCli(h, ['status', handle.workflowId]);
    expect(await status.exited).toBe(0);
    expect(status.output()).toMatch(
      /waiting-for-token · resume from C-000001 \(\d+ pending; the token was sealed with key \w{8} but this process has key \w{8}/,
    );
    expect(h.api.ledger.requests).toBe(0);
    wrong.child.kill('SIGTERM');
    await wrong.exited;
    await spawnWorker(h);
    await handle.signal(tokenRefreshedSignal, { sealedToken: sealed });
    const summary = await resultOf(handle);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 50, failed: 0 });
    expect(h.api.ledger.check(ids).missing).toEqual([]);
  });
});
