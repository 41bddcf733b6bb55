import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { BATCH_WORKFLOW_TYPE } from '../contract/batch-input';
import { replayOptions } from './sinks';
import { setTimeout as sleep } from 'node:timers/promises';

/** One build of the workers: Temporal routes a pinned batch to its build's workers only. */
export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
}

/** A worker with no poll for this long has stopped: the server's long polls last a minute, then workers poll again. */
const POLLER_GONE_AFTER_MS = 90_000;

/** The folder webpack names modules from: bundles of the same code are identical whatever the current folder. */
const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
// Read at run time: package.json is outside src/, so not an import tsc would copy.
const packageVersion = (require(path.join(PACKAGE_ROOT, 'package.json')) as { version: string }).version;

/** Where `npm run build` leaves the workflow code bundled, beside the compiled workflows it was made from. */
export const PREBUILT_BUNDLE = path.join(__dirname, '..', 'workflows.bundle.js');

/**
 * The workflow code, bundled, and the build it is: the package version and the bundle's hash. The installed
 * worker reads the bundle `npm run build` made, when it is newer than every compiled file; else it bundles now.
 */
export async function bundleBuild(workflowsPath: string): Promise<{ bundle: WorkflowBundle; buildId: string }> {
  const code = prebuiltFor(workflowsPath) ?? (await bundleNow(workflowsPath));
  return { bundle: { code }, buildId: buildIdOf(code) };
}

/** The prebuilt bundle, when it was made from these compiled workflows and nothing compiled since. */
function prebuiltFor(workflowsPath: string): string | undefined {
  if (path.dirname(PREBUILT_BUNDLE) !== path.dirname(workflowsPath)) return undefined;
  try {
    const builtAt = statSync(PREBUILT_BUNDLE).mtimeMs;
    const dist = path.dirname(workflowsPath);
    const compiled = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.js') && !f.includes('bundle'),
    );
    if (compiled.some((f) => statSync(path.join(dist, f)).mtimeMs > builtAt)) return undefined;
    return readFileSync(PREBUILT_BUNDLE, 'utf8');
  } catch {
    return undefined;
  }
}

/** Bundles the workflow code with webpack, as the SDK does. */
export async function bundleNow(workflowsPath: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    ...workflowSources(workflowsPath),
    webpackConfigHook: (config) => ({ ...config, context: PACKAGE_ROOT }),
    // The bundler's errors say what failed to compile; the rest is statistics.
    logger: {
      info() {},
      warn() {},
      error: (message) => void process.stderr.write(`${message}\n`),
      debug() {},
      trace() {},
      log() {},
    },
  });
  return code;
}

/**
 * The workflow code and its interceptors (tracing, which only traced batches run): the same bundle with tracing on or
 * off.
 */
export const workflowSources = (workflowsPath: string) => ({
  workflowsPath,
  workflowInterceptorModules: [path.join(workflowsPath, 'tracing-interceptors')],
});

/** A changed workflow is a new build; the same release and code on every host is one build. */
export function buildIdOf(bundleCode: string, version = packageVersion): string {
  return `${version}-${createHash('sha256').update(bundleCode).digest('hex').slice(0, 12)}`;
}

export const versionName = (v: DeploymentVersion) => `${v.deploymentName}:${v.buildId}`;
const identityOf = (v: DeploymentVersion) => `clientsync ${v.buildId}`;

/** How long a refusal for missing task queues may last while this worker's own pollers join its version. */
const MISSING_QUEUES_GRACE_MS = 20_000;

/**
 * Makes `version` the deployment's current one, once its workers poll (the server knows a version from its
 * first poll). New batches then start on it, and pinned batches of older builds move to it at their next
 * continue-as-new. A refusal that lasts (another task queue would lose its workers) is returned.
 */

export async function makeCurrent(client: Client, version: DeploymentVersion, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The server refuses a version that lacks a task queue of the current one. This worker's own queues join its
  // version with their first polls, which a loaded machine delays by seconds: only a refusal that lasts means a
  // task queue no worker of this build polls.
  const missingUntil = Date.now() + MISSING_QUEUES_GRACE_MS;
  for (;;) {
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        ...version,
        identity: identityOf(version),
      });
      return;
    } catch (err) {
      const e = err as { code?: number; details?: string; message: string };
      const why = e.details ?? e.message;
      if (/missing active task queues/.test(why) && Date.now() > missingUntil) throw new Error(why);
      if (Date.now() > deadline)
        throw new Error(
          `the server did not accept ${versionName(version)} as current within ${timeoutMs / 1000} s: ${why}`,
        );
      await sleep(250);
    }
  }
}

/** A batch pinned to a build whose workers are gone, and what was done about it. */
export interface Adoption {
  batchId: string;
  from: string;
  moved: boolean;
  /** Why it could not move: this build cannot replay its history. */
  why?: string;
}

export interface AdoptOptions {
  client: Client;
  taskQueue: string;
  version: DeploymentVersion;
  bundle: WorkflowBundle;
  /** The builds whose every worker has stopped gracefully: gone at once, whatever their last poll. */
  stoppedBuilds: () => Promise<Set<string>>;
  /** Runs whose history this build could not replay, so each is tried and said once. */
  seen: Set<string>;
}

/**
 * Moves the batches pinned to a build that no worker runs any more (an upgrade in place: the old worker was
 * stopped and this one started) to this build, each after replaying its history here. One whose history this
 * build cannot replay stays, and is reported with the build it waits for.
 */
export async function adoptOrphans(opts: AdoptOptions): Promise<Adoption[]> {
  const pinned = await pinnedElsewhere(opts);
  if (pinned.length === 0) return [];
  const live = await liveBuilds(opts.client, opts.taskQueue);
  for (const build of await opts.stoppedBuilds()) live.delete(build);
  const adoptions: Adoption[] = [];
  for (const batch of pinned) {
    const from = batch.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId ?? '';
    if (live.has(from)) continue; // its workers run: it moves at its next continue-as-new
    const key = `${batch.workflowId}/${batch.runId}`;
    if (opts.seen.has(key)) continue; // its replay failed here once: this build's code will not change
    const adoption = await adopt(opts, batch, from);
    if (!adoption.moved) opts.seen.add(key);
    adoptions.push(adoption);
  }
  return adoptions;
}

/** Open batches of this deployment and task queue pinned to another build, with no override already. */
async function pinnedElsewhere(opts: AdoptOptions): Promise<WorkflowExecutionDescription[]> {
  const { client, taskQueue, version } = opts;
  const query = `WorkflowType = '${BATCH_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
  const found: WorkflowExecutionDescription[] = [];
  for await (const w of client.workflow.list({ query })) {
    const d = await client.workflow.getHandle(w.workflowId, w.runId).describe();
    const v = d.raw.workflowExecutionInfo?.versioningInfo;
    const at = v?.deploymentVersion;
    if (!at || at.deploymentName !== version.deploymentName || at.buildId === version.buildId) continue;
    if (v.behavior !== temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED || v.versioningOverride)
      continue;
    found.push(d);
  }
  return found;
}

/** The builds whose workers polled the task queue within the last long poll. */
async function liveBuilds(client: Client, taskQueue: string): Promise<Set<string>> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const live = new Set<string>();
  for (const p of pollers ?? []) {
    const at = Number(p.lastAccessTime?.seconds ?? 0) * 1000;
    if (p.deploymentOptions?.buildId && Date.now() - at < POLLER_GONE_AFTER_MS) live.add(p.deploymentOptions.buildId);
  }
  return live;
}

async function adopt(opts: AdoptOptions, batch: WorkflowExecutionDescription, from: string): Promise<Adoption> {
  const { client, version } = opts;
  const base = { batchId: batch.workflowId, from };
  const history = await client.workflow.getHandle(batch.workflowId, batch.runId).fetchHistory();
  try {
    await Worker.runReplayHistory(replayOptions(opts.bundle, `adopt ${batch.workflowId}`), history, batch.workflowId);
  } catch (err) {
    return { ...base, moved: false, why: (err as Error).message.split('\n')[0] };
  }
  const { PinnedOverrideBehavior } = temporal.api.workflow.v1.VersioningOverride;
  await client.workflowService.updateWorkflowExecutionOptions({
    namespace: client.options.namespace,
    workflowExecution: { workflowId: batch.workflowId, runId: batch.runId },
    workflowExecutionOptions: {
      versioningOverride: { pinned: { behavior: PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED, version } },
    },
    updateMask: { paths: ['versioning_override'] },
    identity: identityOf(version),
  });
  return { ...base, moved: true };
}
