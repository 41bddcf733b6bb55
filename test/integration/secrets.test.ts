import { afterEach, describe, expect, it } from 'vitest';
import { progressQuery } from '../../src/contract/messages';
import { createHarness, keyOf, resultOf, waitForState, type Harness } from '../helpers/harness';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import { historyText } from '../helpers/history-text';

describe('the API token', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('never appears in plaintext in history, search attributes, memo, worker or CLI output, or argv', async () => {
    h = await createHarness({ expireAfter: 40, missingIds: ['C-000005'] });
    const { path } = await h.clientFile(100);
    const worker = await spawnWorker(h);

    const first = h.api.issueToken();
    const start = spawnCli(
      h,
      ['start', '--clients', path, '--api-url', h.api.baseUrl, '--id', 'secret-batch', '--task-queue', h.taskQueue],
      {
        API_TOKEN: first,
      },
    );
    expect(await start.exited).toBe(0);
    const handle = h.client.workflow.getHandle('secret-batch');
    const argvs = [start.child.spawnargs];
    const outputs = [start.output()];
    for (let i = 0; i < 2; i++) {
      await waitForState(handle, 'waiting-for-token');
      const refresh = spawnCli(h, ['refresh-token', 'secret-batch', '--token-stdin']);
      refresh.child.stdin!.end(h.api.issueToken());
      expect(await refresh.exited).toBe(0);
      argvs.push(refresh.child.spawnargs);
      outputs.push(refresh.output());
    }
    const summary = await resultOf(handle);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 99, failed: 1, tokenRefreshes: 2 });

    const failures = JSON.stringify(await h.store.list(keyOf(summary), 'failed'));
    const places = {
      history: await historyText(h, 'secret-batch'),
      worker: worker.output(),
      cli: outputs.join('\n'),
      argv: argvs.flat().join(' '),
      failures,
      progress: JSON.stringify(await handle.query(progressQuery).catch(() => ({}))),
    };
    const tokens = h.api.issuedTokens();
    expect(tokens.length).toBe(3);
    // The sealed token and the ids are readable there, so the check looks where a plaintext token would be.
    expect(places.history.includes('sealedToken\\":\\"cs1.')).toBe(true);
    expect(places.history.includes('ClientId\\":\\"C-000042')).toBe(true);
    for (const [place, text] of Object.entries(places)) {
      for (const token of tokens) expect(text.includes(token), `${place} contains a token`).toBe(false);
    }
  });
});
