import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import { spawnNode, untilOutput, type CliProcess } from '../helpers/cli-process';
import { createHarness, resultOf, runHistories, waitForProgress, waitForState, type Harness } from '../helpers/harness';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporalCli } from '../helpers/temporal-cli';

const ROOT = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

/** Another build: this project's sources in another folder, with `change` made to the workflow's file. */
async function otherBuild(dir: string, name: string, change: (workflow: string) => string): Promise<string> {
  const root = path.join(dir, name);
  await mkdir(root, { recursive: true });
  await cp(path.join(ROOT, 'src'), path.join(root, 'src'), { recursive: true });
  await cp(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  await cp(path.join(ROOT, 'tsconfig.json'), path.join(root, 'tsconfig.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  const workflow = path.join(root, 'src', 'workflows', 'batch-workflow.ts');
  await writeFile(workflow, change(await readFile(workflow, 'utf8')));
  return path.join(root, 'src', 'cli', 'boot', 'entry.ts');
}

/** Build B differs on purpose in what it is (its bundle, so its build id), not in what it does. */
const harmless = (code: string) => `${code}\nexport const BUILD = 'B';\n`;

/** Build C sleeps before anything else: a history that build A recorded cannot replay on it. */
const incompatible = (code: string) =>
  `import { sleep as pauseFirst } from '@temporalio/workflow';\n${code.replace(
    'export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {\n',
    'export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {\n  await pauseFirst(1);\n',
  )}`;

/** The build each workflow task of a run completed on. */
function buildsOf(history: temporal.api.history.v1.IHistory): string[] {
  const builds = (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId)
    .filter((b): b is string => !!b);
  return [...new Set(builds)];
}

const buildIdIn = (p: CliProcess) => /build (\S+), current in deployment/.exec(p.output())?.[1];

describe('a batch carried across an upgrade by Worker Versioning', () => {
  let h: Harness;
  let runB: string;
  let runC: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-upgrade-'));
    runB = await otherBuild(dir, 'build-b', harmless);
    runC = await otherBuild(dir, 'build-c', incompatible);
    // The CLI is built once for the machine, the first time, while the tests that need no operator go first.
    temporalCli().catch(() => {}); // its error, if any, comes to the test that runs the operator's commands
  }, 600_000);
  beforeEach(async () => {
    h = await createHarness({ latencyMs: 4, expireAfter: 1_000_000 });
    // A deployment of its own: its current build is this test's to change.
    env = { CLIENTSYNC_DEPLOYMENT: `upgrade-${randomUUID().slice(0, 8)}` };
  });
  afterEach(async () => h.close());

  const worker = (entry: string, flags: string[] = []) =>
    untilOutput(spawnNode(h, [entry, 'worker', '--task-queue', h.taskQueue, ...flags], env), WORKER_READY, 90_000);
  const workerA = () => worker(path.join(ROOT, 'src', 'cli', 'boot', 'entry.ts'));
  const workerB = (flags?: string[]) => worker(runB, flags);
  const workerC = () => worker(runC);
  /** The pinned Temporal CLI, as an operator runs it against this server. */
  const operator = async (args: string[]) =>
    (await exec(await temporalCli(), [...args, '--address', h.address])).stdout;

  /** A batch of 120 clients on build A, waiting for a token (the API's tokens expire after 40 calls). */
  async function waitingOnA() {
    h.api.configure({ expireAfter: 40 });
    const { path: file, ids } = await h.clientFile(120, { groupSize: 60 });
    const a = await workerA();
    const handle = await h.startBatch(file, { options: { concurrency: 2, pageSize: 60 } });
    await waitForState(handle, 'waiting-for-token');
    return { a, handle, ids };
  }

  async function stop(p: CliProcess): Promise<void> {
    p.child.kill('SIGTERM');
    await p.exited;
  }

  it('moves a batch that waited for a token on build A to build B when the token comes', async () => {
    const { a, handle, ids } = await waitingOnA();
    const b = await workerB();
    h.api.configure({ expireAfter: 1_000_000 });
    await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
    await waitForProgress(handle, (p) => p.run >= 2);
    await stop(a);
    const summary = await resultOf(handle);

    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 120, tokenRefreshes: 1, runs: 2 });
    const [first, second] = await runHistories(h, handle.workflowId);
    expect(buildsOf(first!)).toEqual([buildIdIn(a)]);
    expect(buildsOf(second!)).toEqual([buildIdIn(b)]);
  }, 180_000);

  it('after an upgrade in place (A stopped, then B started), B takes over the waiting batch once its replay passes', async () => {
    const { a, handle, ids } = await waitingOnA();
    await stop(a);
    const b = await workerB();
    const ready = Date.now();
    // A stopped gracefully and said so in the store: B takes its batch over at once (not a long poll later).
    await untilOutput(b, `Batch ${handle.workflowId} was pinned to build ${buildIdIn(a)}`, 15_000);
    console.log(`in place: B took the batch over ${Date.now() - ready} ms after it was ready`);
    h.api.configure({ expireAfter: 1_000_000 });
    await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) });
    const summary = await resultOf(handle);

    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 120, tokenRefreshes: 1 });
    const histories = await runHistories(h, handle.workflowId);
    expect(buildsOf(histories[0]!)).toEqual([buildIdIn(a), buildIdIn(b)]);
  }, 120_000);

  it('after an upgrade in place to a build that cannot replay the waiting batch, the new worker says which build it waits for and what to do', async () => {
    const { a, handle } = await waitingOnA();
    await stop(a);
    const c = await workerC();
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

  it("after a worker of A is killed, B waits a long poll before it takes A's batches: A may live on another host", async () => {
    const { a, handle } = await waitingOnA();
    a.child.kill('SIGKILL'); // no record that it stopped
    await a.exited;
    const b = await workerB();
    await sleep(20_000); // two of B's looks: A's last poll is too recent to call it gone
    expect(b.output()).not.toContain(`Batch ${handle.workflowId} was pinned`);
    await untilOutput(b, `Batch ${handle.workflowId} was pinned to build ${buildIdIn(a)}`, 120_000);
  }, 240_000);

  // Last: the operator's commands need the Temporal CLI, built meanwhile the first time.
  it('on a cluster: finishes the run in progress on build A, runs the next on B once the operator makes B current, and calls every client once', async () => {
    const { path: file, ids } = await h.clientFile(600, { groupSize: 100 });
    const a = await workerA();
    // Paced at 15 calls/s, the batch runs for 40 s: longer than the operator's steps take, whatever the machine.
    const handle = await h.startBatch(file, { options: { concurrency: 4, pageSize: 100, rps: 15 } });
    await waitForProgress(handle, (p) => p.processed >= 30);
    const b = await workerB(['--no-make-current']);
    expect(b.output()).toContain('current once an operator makes it so');
    const buildA = buildIdIn(a)!;
    const buildB = /build (\S+) in deployment/.exec(b.output())![1]!;
    expect(buildB).not.toBe(buildA);
    // The operator's steps of docs/upgrading.md, with the pinned Temporal CLI against this server.
    const deployment = ['--deployment-name', env.CLIENTSYNC_DEPLOYMENT!];
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
    expect(JSON.stringify(version)).toContain(h.taskQueue); // B polls the batch's task queue
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
      await operator(['worker', 'deployment', 'describe', '--name', env.CLIENTSYNC_DEPLOYMENT!, '--output', 'json']),
    ) as {
      routingConfig: { currentVersionBuildID: string; rampingVersionBuildID: string };
    };
    expect(described.routingConfig).toMatchObject({ currentVersionBuildID: buildB, rampingVersionBuildID: '' });
    // The run in progress hands over at its next page boundary; A is stopped once nothing is pinned to it.
    await waitForProgress(handle, (p) => p.run >= 2);
    await stop(a);
    const summary = await resultOf(handle);

    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 600, runs: 2 });
    const [first, second] = await runHistories(h, handle.workflowId);
    expect(buildsOf(first!)).toEqual([buildA]);
    expect(buildsOf(second!)).toEqual([buildB]);
    expect(first!.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
  }, 600_000); // the first time, it waits for the CLI's build
});
