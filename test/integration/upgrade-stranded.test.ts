import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { untilOutput } from '../helpers/cli-process';
import { buildIdIn, stop, upgradeScene } from '../helpers/upgrade';

// Build A's workers are gone, and the build that replaced them cannot replay A's batch: nobody can take it over.
describe('a batch whose build has no worker left', () => {
  const scene = upgradeScene();

  it('after an upgrade in place to a build that cannot replay the waiting batch, the new worker says which build it waits for and what to do', async () => {
    const { a, handle } = await scene.waitingOnA();
    await stop(a);
    const c = await scene.worker('C');
    const said = `Batch ${handle.workflowId} waits for build ${buildIdIn(a)}, which no worker runs now, and build ${buildIdIn(c)} cannot replay it`;
    await untilOutput(c, said, 15_000);
    expect(c.output()).toContain('Run a worker of the release that started it until this run of the batch ends');
    const pinned = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    expect(pinned?.deploymentVersion?.buildId).toBe(buildIdIn(a));
    expect(pinned?.versioningOverride ?? null).toBeNull();
    // Said once, not at every look (one every 15 s).
    await sleep(20_000);
    expect(c.output().split(said).length - 1).toBe(1);
  }, 120_000);
});
