import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitForProgress } from '../helpers/harness';
import { temporalCli } from '../helpers/temporal-cli';
import { buildIdIn, buildsOf, upgradeScene } from '../helpers/upgrade';

const exec = promisify(execFile);

// docs/upgrading.md's procedure as an operator runs it: build B joins without becoming current, and the pinned
// Temporal CLI (built once for the machine, minutes the first time) describes it, ramps it and makes it current.
describe("the operator's upgrade procedure, with the Temporal CLI", () => {
  let cli: string;
  beforeAll(async () => {
    cli = await temporalCli();
  }, 900_000);
  const scene = upgradeScene();
  const operator = async (args: string[]) => (await exec(cli, [...args, '--address', scene.h.address])).stdout;

  it('finishes the run in progress on build A, runs the next on B once the operator makes B current, and calls every client once', async () => {
    const { path: file, ids } = await scene.h.clientFile(900, { groupSize: 100 });
    const a = await scene.worker('A');
    // Paced at 15 calls/s, the batch runs for 60 s: far longer than the operator's steps take with a built CLI.
    const handle = await scene.h.startBatch(file, { options: { concurrency: 4, pageSize: 100, rps: 15 } });
    await waitForProgress(handle, (p) => p.processed >= 30);
    const b = await scene.worker('B', ['--no-make-current']);
    expect(b.output()).toContain('current once an operator makes it so');
    const buildA = buildIdIn(a)!;
    const buildB = /build (\S+) in deployment/.exec(b.output())![1]!;
    expect(buildB).not.toBe(buildA);
    // The operator's steps of docs/upgrading.md, with the pinned Temporal CLI against this server.
    const deployment = ['--deployment-name', scene.env.CLIENTSYNC_DEPLOYMENT!];
    const version = JSON.parse(
      await operator([
        'worker',
        'deployment',
        'describe-version',
        ...deployment,
        '--build-id',
        buildB,
        '--output',
        'json',
      ]),
    ) as object;
    expect(JSON.stringify(version)).toContain(scene.h.taskQueue); // B polls the batch's task queue
    await operator([
      'worker',
      'deployment',
      'set-ramping-version',
      ...deployment,
      '--build-id',
      buildB,
      '--percentage',
      '10',
      '--yes',
    ]);
    await operator(['worker', 'deployment', 'set-current-version', ...deployment, '--build-id', buildB, '--yes']);
    const described = JSON.parse(
      await operator([
        'worker',
        'deployment',
        'describe',
        '--name',
        scene.env.CLIENTSYNC_DEPLOYMENT!,
        '--output',
        'json',
      ]),
    ) as {
      routingConfig: { currentVersionBuildID: string; rampingVersionBuildID: string };
    };
    expect(described.routingConfig).toMatchObject({ currentVersionBuildID: buildB, rampingVersionBuildID: '' });
    // The run in progress hands over at its next page boundary; A is stopped once nothing is pinned to it.
    const { summary, histories } = await scene.handedOver(handle, a, ids);

    expect(summary).toMatchObject({ state: 'completed', succeeded: 900, runs: 2 });
    expect(histories.map(buildsOf)).toEqual([[buildA], [buildB]]);
    expect(histories[0]!.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  }, 300_000);
});
