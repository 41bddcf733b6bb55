import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import { spawnNode, untilOutput, type CliProcess } from './cli-process';
import type { BatchSummary } from '../../src/contract/progress';
import { createHarness, resultOf, runHistories, waitForProgress, waitForState, type Harness } from './harness';

const ROOT = path.resolve(__dirname, '../..');

/** The entry of this project's own build: build A of the upgrade tests. */
export const ENTRY_A = path.join(ROOT, 'src', 'cli', 'boot', 'entry.ts');

/** Another build: this project's sources in another folder, with `change` made to the workflow's file. */
export async function otherBuild(dir: string, name: string, change: (workflow: string) => string): Promise<string> {
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
export const harmless = (code: string) => `${code}\nexport const BUILD = 'B';\n`;

/** Build C sleeps before anything else: a history that build A recorded cannot replay on it. */
export const incompatible = (code: string) =>
  `import { sleep as pauseFirst } from '@temporalio/workflow';\n${code.replace(
    'export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {\n',
    'export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {\n  await pauseFirst(1);\n',
  )}`;

/** The build each workflow task of a run completed on. */
export function buildsOf(history: temporal.api.history.v1.IHistory): string[] {
  const builds = (history.events ?? [])
    .map((e) => e.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId)
    .filter((b): b is string => !!b);
  return [...new Set(builds)];
}

/** The build a worker that joined as current says it runs. */
export const buildIdIn = (p: CliProcess) => /build (\S+), current in deployment/.exec(p.output())?.[1];

export async function stop(p: CliProcess): Promise<void> {
  p.child.kill('SIGTERM');
  await p.exited;
}

type Build = 'A' | 'B' | 'C';

/** What an upgrade test works with: its harness, a worker of each build, and a batch waiting on build A. */
export interface UpgradeScene {
  readonly h: Harness;
  /** This test's deployment, for the workers it starts: its current build is this test's to change. */
  readonly env: NodeJS.ProcessEnv;
  /** A worker of `build` on this test's task queue and deployment, once it is ready. */
  worker(build: Build, flags?: string[]): Promise<CliProcess>;
  /** A batch of 120 clients on build A, waiting for a token (the API's tokens expire after 40 calls). */
  waitingOnA(): Promise<{ a: CliProcess; handle: WorkflowHandle; ids: string[] }>;
  /**
   * Once the batch's second run starts, stops A and waits for the batch's end: its summary and the history of
   * each run, after the ledger showed every client called once.
   */
  handedOver(
    handle: WorkflowHandle,
    a: CliProcess,
    ids: string[],
  ): Promise<{ summary: BatchSummary; histories: temporal.api.history.v1.IHistory[] }>;
}

/** Registers an upgrade test file's hooks: builds B and C made once, a harness and a deployment for each test. */
export function upgradeScene(): UpgradeScene {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  const entries: Record<Build, string> = { A: ENTRY_A, B: '', C: '' };
  beforeAll(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-upgrade-'));
    entries.B = await otherBuild(dir, 'build-b', harmless);
    entries.C = await otherBuild(dir, 'build-c', incompatible);
  });
  beforeEach(async () => {
    h = await createHarness({ latencyMs: 4, expireAfter: 1_000_000 });
    env = { CLIENTSYNC_DEPLOYMENT: `upgrade-${randomUUID().slice(0, 8)}` };
  });
  afterEach(async () => h.close());
  const worker = (build: Build, flags: string[] = []) =>
    untilOutput(
      spawnNode(h, [entries[build], 'worker', '--task-queue', h.taskQueue, ...flags], env),
      WORKER_READY,
      90_000,
    );
  return {
    get h() {
      return h;
    },
    get env() {
      return env;
    },
    worker,
    async waitingOnA() {
      h.api.configure({ expireAfter: 40 });
      const { path: file, ids } = await h.clientFile(120, { groupSize: 60 });
      const a = await worker('A');
      const handle = await h.startBatch(file, { options: { concurrency: 2, pageSize: 60 } });
      await waitForState(handle, 'waiting-for-token');
      return { a, handle, ids };
    },
    async handedOver(handle, a, ids) {
      await waitForProgress(handle, (p) => p.run >= 2);
      await stop(a);
      const summary = await resultOf(handle);
      expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
      return { summary, histories: await runHistories(h, handle.workflowId) };
    },
  };
}
