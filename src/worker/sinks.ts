import type { ReplayWorkerOptions } from '@temporalio/worker';
import { metricsSinks } from '../telemetry/call-metrics';
import { untracedWorkflowSinks, type Tracing } from '../telemetry/tracing';

/**
 * What the workflow reports through: metrics, and the spans of a traced batch (dropped by a worker that does not
 * trace).
 */
export const workerSinks = (tracing?: Tracing) => ({
  ...metricsSinks(),
  ...(tracing?.worker.sinks ?? untracedWorkflowSinks()),
});

/** Replaying batch histories: the worker's sinks too, since a history may call them (they stay silent in replay). */
export function replayOptions(
  workflowBundle: ReplayWorkerOptions['workflowBundle'],
  replayName?: string,
): ReplayWorkerOptions {
  return { workflowBundle, replayName, sinks: workerSinks() };
}
