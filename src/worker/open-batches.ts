import type { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { stateKey, waitingSinceKey } from '../contract/search-attributes';
import { logWarning } from './runtime';
import { HELP, METRICS } from '../telemetry/metric-names';

/** How often the worker counts its task queue's open batches: well inside the alerts' windows. */
export const WAITING_SCAN_MS = 10_000;

/**
 * Keeps the gauges of one task queue's open batches: how many call the API, how many wait for a person, and
 * how long the oldest of those has waited. Visibility answers for all the task queue's batches, whichever worker last
 * ran them, so every worker
 * of the queue reports the same values (dashboards take the max). Returns the stop function.
 */
export function watchOpenBatches(client: Client, taskQueue: string): () => void {
  const meter = Runtime.instance().metricMeter;
  const count = meter.createGauge(METRICS.batchesWaiting, 'int', '', HELP.batchesWaiting);
  const oldest = meter.createGauge(METRICS.oldestWait, 'float', '', HELP.oldestWait);
  const running = meter.createGauge(METRICS.batchesRunning, 'int', '', HELP.batchesRunning);
  const query = `TaskQueue = '${taskQueue.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
  let failing = false;
  const scan = async () => {
    try {
      let waiting = 0;
      let calling = 0;
      let since = Infinity;
      for await (const wf of client.workflow.list({ query })) {
        if (wf.typedSearchAttributes.get(stateKey) === 'running') calling++;
        const at = wf.typedSearchAttributes.get(waitingSinceKey);
        if (!at) continue;
        waiting++;
        since = Math.min(since, at.getTime());
      }
      count.set(waiting, { task_queue: taskQueue });
      running.set(calling, { task_queue: taskQueue });
      oldest.set(waiting ? Math.max(0, (Date.now() - since) / 1000) : 0, { task_queue: taskQueue });
      failing = false;
    } catch (err) {
      if (!failing)
        logWarning(
          `Cannot count the open batches (${(err as Error).message.split('\n')[0]}); the gauges keep their last values`,
        );
      failing = true;
    }
  };
  void scan();
  const timer = setInterval(() => void scan(), WAITING_SCAN_MS);
  return () => clearInterval(timer);
}
