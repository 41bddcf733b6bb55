import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { untilOutput } from '../helpers/cli-process';
import { buildIdIn, upgradeScene } from '../helpers/upgrade';

// Build A's only worker is killed: it leaves no record that it stopped, and may be alive elsewhere.
describe('a batch whose build lost its worker to a kill', () => {
  const scene = upgradeScene();

  it("after a worker of A is killed, B waits a long poll before it takes A's batches: A may live on another host", async () => {
    const { a, handle } = await scene.waitingOnA();
    a.child.kill('SIGKILL'); // no record that it stopped
    await a.exited;
    const b = await scene.worker('B');
    await sleep(20_000); // two of B's looks: A's last poll is too recent to call it gone
    expect(b.output()).not.toContain(`Batch ${handle.workflowId} was pinned`);
    await untilOutput(b, `Batch ${handle.workflowId} was pinned to build ${buildIdIn(a)}`, 120_000);
  }, 240_000);
});
