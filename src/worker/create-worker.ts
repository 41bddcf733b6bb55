import path from 'node:path';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { DEFAULT_TASK_QUEUE } from '../contract/batch-input';
import type { DeploymentVersion } from './deployment';
import type { Tracing } from '../telemetry/tracing';
import { workerSinks } from './sinks';

export interface BatchWorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** API calls this worker runs at once (across all batches). */
  maxConcurrentCalls?: number;
  /** Calls per second across all workers of the task queue, enforced by the Temporal server. */
  rps?: number;
  /** A prebuilt workflow bundle (tests build it once); default: bundle src/workflows at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The worker deployment version it belongs to, with its batches pinned to it; unversioned without. */
  deployment?: DeploymentVersion;
  /** Set when the worker exports traces. */
  tracing?: Tracing;
}

/** The worker that runs batch workflows and their API calls. */
export async function createWorker(opts: BatchWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace ?? 'default',
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
    activities: createActivities(opts),
    maxConcurrentActivityTaskExecutions: opts.maxConcurrentCalls ?? 100,
    maxConcurrentLocalActivityExecutions: opts.maxConcurrentCalls ?? 100,
    // Global for the task queue (enforced by the server) and, for a single worker, smoothed locally too.
    // Local calls (--local-calls) never reach the task queue: the batch's own --rps paces them.
    maxTaskQueueActivitiesPerSecond: opts.rps,
    maxActivitiesPerSecond: opts.rps,
    sinks: workerSinks(opts.tracing),
    ...(opts.tracing && { interceptors: opts.tracing.worker.interceptors }),
    // Long enough for in-flight calls (15 s timeout by default) to finish on SIGTERM.
    shutdownGraceTime: '20s',
    // A batch stays on the build it started on, and moves to a newer one at its next continue-as-new.
    ...(opts.deployment && {
      workerDeploymentOptions: {
        version: opts.deployment,
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    }),
  });
}

/** The workflows' entry file, in src/ (tests, tsx) or dist/ (installed CLI). */
export function workflowsPath(): string {
  return path.join(__dirname, '..', 'workflows');
}
