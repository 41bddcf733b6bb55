import { expect, it, describe } from 'vitest';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import { untilOutput } from '../helpers/cli-process';
import { resultOf, runHistories } from '../helpers/harness';
import { buildIdIn, buildsOf, stop, upgradeScene } from '../helpers/upgrade';

// A batch goes to the new build at its next run, or at once when the old build's workers stopped. When they
// are gone some other way: upgrade-stranded.test.ts; the operator's procedure with the Temporal CLI: the
// cluster tier (upgrade-procedure.test.ts).
describe('a batch carried across an upgrade by Worker Versioning', () => {
  const scene = upgradeScene();

  it('moves a batch that waited for a token on build A to build B when the token comes', async () => {
    const { a, handle, ids } = await scene.waitingOnA();
    const b = await scene.worker('B');
    scene.h.api.configure({ expireAfter: 1_000_000 });
    await handle.signal(tokenRefreshedSignal, { sealedToken: scene.h.seal(scene.h.api.issueToken()) });
    const { summary, histories } = await scene.handedOver(handle, a, ids);

    expect(summary).toMatchObject({ state: 'completed', succeeded: 120, tokenRefreshes: 1, runs: 2 });
    expect(histories.map(buildsOf)).toEqual([[buildIdIn(a)], [buildIdIn(b)]]);
  }, 180_000);

  it('after an upgrade in place (A stopped, then B started), B takes over the waiting batch once its replay passes', async () => {
    const { a, handle, ids } = await scene.waitingOnA();
    await stop(a);
    const b = await scene.worker('B');
    const ready = Date.now();
    // A stopped gracefully and said so in the store: B takes its batch over at once (not a long poll later).
    await untilOutput(b, `Batch ${handle.workflowId} was pinned to build ${buildIdIn(a)}`, 15_000);
    console.log(`in place: B took the batch over ${Date.now() - ready} ms after it was ready`);
    scene.h.api.configure({ expireAfter: 1_000_000 });
    await handle.signal(tokenRefreshedSignal, { sealedToken: scene.h.seal(scene.h.api.issueToken()) });
    const summary = await resultOf(handle);

    expect(scene.h.api.ledger.check(ids)).toEqual({
      missing: [],
      repeated: [],
      repeatedWithOtherKey: [],
      unexpected: [],
    });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 120, tokenRefreshes: 1 });
    const histories = await runHistories(scene.h, handle.workflowId);
    expect(buildsOf(histories[0]!)).toEqual([buildIdIn(a), buildIdIn(b)]);
  }, 120_000);
});
