// Waiting for a person: the alerts (the first, reminders, the end), the wait timeout, and the pauses the
// batch makes itself for problems a person fixes outside it (a changed source, a worker on another store).
import {
  type ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  log,
  proxyActivities,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ClientEntry } from '../contract/sources';
import { waitingSinceKey } from '../contract/search-attributes';
import { FailureTypes } from '../contract/failures';
import { storeLabel } from '../contract/store-identity';
import { alertOf, type AlertEvent } from '../contract/alert';
import { addPending } from './pending';
import type { RunState } from './run-state';
import { failureType } from './api-calls';

/** An alert that fails is retried for about a minute, then given up with a warning: it never fails the batch. */
const alertActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    maximumAttempts: 5,
    initialInterval: '2 seconds',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [FailureTypes.TokenUnavailable],
  },
});

/** Tells a person, through the workers' notify activity; a failed alert is a warning, never the batch's failure. */
export async function sendAlert(
  state: RunState,
  event: AlertEvent,
  extra: { reason?: string | null; timeout?: string; since?: number } = {},
): Promise<void> {
  const { input, personWait } = state;
  const since = extra.since ?? personWait?.since;
  const alert = alertOf(event, state.progress(), {
    reason: extra.reason !== undefined ? extra.reason : (personWait?.reason ?? null),
    waitingSince: since !== undefined ? new Date(since).toISOString() : null,
    webUrl: input.webUrl ?? null,
    now: new Date().toISOString(),
    ...(extra.timeout ? { timeout: extra.timeout } : {}),
  });
  try {
    await alertActivities.notify({ ...(input.sealedNotifyUrl ? { sealedUrl: input.sealedNotifyUrl } : {}), alert });
  } catch (err) {
    log.warn(`Could not send the ${event} alert: ${(err as ActivityFailure).cause?.message ?? String(err)}`, {
      batchId: state.batchId,
    });
  }
}

/** The batch now needs a person (a token nobody could refresh, a pause it made itself): alert, and keep count. */
export function needPerson(state: RunState, reason: string): void {
  if (state.personWait) return;
  state.personWait = { since: Date.now(), reason, episode: ++state.episodes };
  upsertSearchAttributes([{ key: waitingSinceKey, value: new Date(state.personWait.since) }]);
  const episode = state.personWait.episode;
  void CancellationScope.nonCancellable(() => watchPersonWait(state, episode));
}

/**
 * A person acted (a refresh, a resume): the wait is over. Called from handlers, which a signal sent before
 * this run started reaches as soon as they are set.
 */
export function personCame(state: RunState): void {
  if (!state.personWait) return;
  state.personWait = undefined;
  upsertSearchAttributes([{ key: waitingSinceKey, value: null }]);
}

/** The first alert of a wait, a reminder every notifyEvery, and the wait timeout's action. */
async function watchPersonWait(state: RunState, episode: number): Promise<void> {
  const { opts } = state;
  const over = () => state.personWait?.episode !== episode;
  await sendAlert(state, 'waiting-for-person');
  const since = state.personWait?.since ?? Date.now();
  let nextReminder = since + opts.notifyEveryMs;
  const timeoutAt = opts.waitTimeoutMs > 0 ? since + opts.waitTimeoutMs : Infinity;
  let timedOut = false;
  while (!over()) {
    const next = Math.min(nextReminder, timedOut ? Infinity : timeoutAt);
    if (await condition(over, Math.max(1, next - Date.now()))) return;
    if (!timedOut && Date.now() >= timeoutAt) {
      timedOut = true;
      await onWaitTimeout(state);
    } else {
      await sendAlert(state, 'still-waiting');
      nextReminder += opts.notifyEveryMs;
    }
  }
}

async function onWaitTimeout(state: RunState): Promise<void> {
  const { opts } = state;
  const waited = `${Math.round(opts.waitTimeoutMs / 1000)} s`;
  const action = { 'keep-waiting': 'it keeps waiting', cancel: 'the batch is cancelled', fail: 'the batch fails' }[
    opts.onWaitTimeout
  ];
  log.warn(`The batch waited for a person longer than ${waited}; ${action}`, { batchId: state.batchId });
  await sendAlert(state, 'wait-timeout', { timeout: action });
  if (opts.onWaitTimeout === 'cancel')
    state.stopBecause = new CancelledFailure(`waited for a person longer than ${waited}`);
  if (opts.onWaitTimeout === 'fail') {
    state.stopBecause = ApplicationFailure.create({
      type: 'WaitTimeout',
      nonRetryable: true,
      message: `waited for a person longer than ${waited}: ${state.personWait?.reason}`,
    });
  }
}

/** The last alert: how the batch ended (a person may be waiting for it overnight). Sent even when cancelled. */
export async function alertEnded(state: RunState, reason: string | null): Promise<void> {
  personCame(state);
  await CancellationScope.nonCancellable(() => sendAlert(state, 'ended', { reason }));
}

/** Pauses the batch itself, saying why; `resume` clears it. */
export function pauseBecause(state: RunState, reason: string): void {
  const { carry } = state;
  if (!carry.pausedBecause) log.warn(`The batch paused: ${reason}`, { batchId: state.batchId });
  carry.paused = true;
  carry.pausedBecause ??= reason;
  needPerson(state, carry.pausedBecause);
  state.publish();
}

/** Why a worker refused the batch's activities: its store and the batch's. */
const storeReason = (state: RunState, workerStore: string) =>
  `a ${workerStore}, not to this batch's ${state.input.store ? storeLabel(state.input.store) : 'store'}`;

/**
 * Pauses for a failure the operator fixes outside the batch (the source, a worker's store); false: not such a failure.
 */
export function pausedFor(state: RunState, err: unknown): boolean {
  const type = failureType(err);
  const message = (err as ActivityFailure).cause?.message ?? String(type);
  if (type === FailureTypes.SourceChanged) pauseBecause(state, message);
  else if (type === FailureTypes.StoreMismatch) pauseBecause(state, storeReason(state, message));
  else return false;
  return true;
}

/** A worker on another results store refused these clients: they wait, pending, and the batch pauses. */
export function storeProblem(state: RunState, clients: ClientEntry[], reason: string): void {
  for (const client of clients) addPending(state.carry.pending, client);
  pauseBecause(state, storeReason(state, reason));
}
