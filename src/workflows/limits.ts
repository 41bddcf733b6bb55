// Limits and the failure threshold: each client's outcome counted, --max-failures checked after each
// failure, and `clientsync set` changing concurrency, rps and the threshold while the batch runs.
import { ApplicationFailure, log } from '@temporalio/workflow';
import type { ClientOutcome } from '../activities';
import type { ClientEntry } from '../contract/sources';
import type { LimitsChange } from '../contract/options';
import { failureThresholdTrip } from './batch-state';
import { limitsLine, limitsOf } from '../contract/limits';
import type { BatchRun } from './batch-run';
import { pauseBecause } from './person-wait';

/** Counts one client's outcome. */
export function settle(run: BatchRun, _client: ClientEntry, outcome: ClientOutcome): void {
  const { carry } = run;
  carry.counters.processed++;
  if (outcome === 'succeeded' && carry.autoRefresh) carry.autoRefresh.inARow = 0;
  if (outcome === 'succeeded') carry.counters.succeeded++;
  else if (outcome === 'failed') carry.counters.failed++;
  else carry.counters.duplicates++;
  if (outcome === 'failed') checkFailureThreshold(run);
  run.publish();
}

/** Failed clients past --max-failures pause the batch (an operator fixes the cause, or raises it with `set`) or fail it. */
function checkFailureThreshold(run: BatchRun): void {
  if (run.carry.paused || run.stopBecause) return;
  const trip = failureThresholdTrip(run.carry.counters, run.opts);
  if (!trip) return;
  if (run.opts.onMaxFailures === 'fail') run.stopBecause = ApplicationFailure.create({ type: 'MaxFailures', nonRetryable: true, message: trip });
  else pauseBecause(run, `${trip} (or raise it: \`clientsync set ${run.batchId} --max-failures …\`)`);
}

/** The setLimits Update: applies the change (carried by continue-as-new) and says what the limits were and are. */
export function changeLimits(run: BatchRun, change: LimitsChange) {
  const before = limitsLine(limitsOf(run.opts));
  const given = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as LimitsChange;
  Object.assign(run.opts, given);
  run.input.options = { ...run.input.options, ...given };
  const limits = limitsOf(run.opts);
  log.info(`Limits changed: ${limitsLine(limits)}`, { batchId: run.batchId });
  run.publish();
  return { message: `Batch ${run.batchId}: ${limitsLine(limits)} (was ${before})`, limits };
}
