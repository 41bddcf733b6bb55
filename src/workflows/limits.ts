// Limits and the failure threshold: each client's outcome counted, --max-failures checked after each
// failure, and `clientsync set` changing concurrency, rps and the threshold while the batch runs.
import { ApplicationFailure, log } from '@temporalio/workflow';
import type { ClientOutcome } from '../contract/batch-input';
import type { ClientEntry } from '../contract/sources';
import type { LimitsChange } from '../contract/options';
import { failureThresholdTrip, limitsLine, limitsOf } from '../contract/limits';
import type { RunState } from './run-state';
import { pauseBecause } from './person-wait';

/** Counts one client's outcome. */
export function settle(state: RunState, _client: ClientEntry, outcome: ClientOutcome): void {
  const { carry } = state;
  carry.counters.processed++;
  if (outcome === 'succeeded' && carry.autoRefresh) carry.autoRefresh.inARow = 0;
  if (outcome === 'succeeded') carry.counters.succeeded++;
  else if (outcome === 'failed') carry.counters.failed++;
  else carry.counters.duplicates++;
  if (outcome === 'failed') checkFailureThreshold(state);
  state.publish();
}

/**
 * Failed clients past --max-failures pause the batch (an operator fixes the cause, or raises it with `set`) or fail it.
 */
function checkFailureThreshold(state: RunState): void {
  if (state.carry.paused || state.stopBecause) return;
  const trip = failureThresholdTrip(state.carry.counters, state.opts);
  if (!trip) return;
  if (state.opts.onMaxFailures === 'fail')
    state.stopBecause = ApplicationFailure.create({ type: 'MaxFailures', nonRetryable: true, message: trip });
  else pauseBecause(state, `${trip} (or raise it: \`clientsync set ${state.batchId} --max-failures …\`)`);
}

/** The setLimits Update: applies the change (carried by continue-as-new) and says what the limits were and are. */
export function changeLimits(state: RunState, change: LimitsChange) {
  const before = limitsLine(limitsOf(state.opts));
  const given = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as LimitsChange;
  Object.assign(state.opts, given);
  state.input.options = { ...state.input.options, ...given };
  const limits = limitsOf(state.opts);
  log.info(`Limits changed: ${limitsLine(limits)}`, { batchId: state.batchId });
  state.publish();
  return { message: `Batch ${state.batchId}: ${limitsLine(limits)} (was ${before})`, limits };
}
