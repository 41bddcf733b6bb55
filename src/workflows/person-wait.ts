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
import { addPending } from './batch-state';
import type { BatchRun } from './batch-run';
import { failureType } from './api-calls';

/** An alert that fails is retried for about a minute, then given up with a warning: it never fails the batch. */
const alertActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: [FailureTypes.TokenUnavailable] },
});

/** Tells a person, through the workers' notify activity; a failed alert is a warning, never the batch's failure. */
export async function sendAlert(run: BatchRun, event: AlertEvent, extra: { reason?: string | null; timeout?: string; since?: number } = {}): Promise<void> {
  const { input, personWait } = run;
  const since = extra.since ?? personWait?.since;
  const alert = alertOf(event, run.progress(), {
    reason: extra.reason !== undefined ? extra.reason : (personWait?.reason ?? null),
    waitingSince: since !== undefined ? new Date(since).toISOString() : null,
    webUrl: input.webUrl ?? null,
    now: new Date().toISOString(),
    ...(extra.timeout ? { timeout: extra.timeout } : {}),
  });
  try {
    await alertActivities.notify({ ...(input.sealedNotifyUrl ? { sealedUrl: input.sealedNotifyUrl } : {}), alert });
  } catch (err) {
    log.warn(`Could not send the ${event} alert: ${(err as ActivityFailure).cause?.message ?? String(err)}`, { batchId: run.batchId });
  }
}

/** The batch now needs a person (a token nobody could refresh, a pause it made itself): alert, and keep count. */
export function needPerson(run: BatchRun, reason: string): void {
  if (run.personWait) return;
  run.personWait = { since: Date.now(), reason, episode: ++run.episodes };
  upsertSearchAttributes([{ key: waitingSinceKey, value: new Date(run.personWait.since) }]);
  const episode = run.personWait.episode;
  void CancellationScope.nonCancellable(() => watchPersonWait(run, episode));
}

/**
 * A person acted (a refresh, a resume): the wait is over. Called from handlers, which a signal sent before
 * this run started reaches as soon as they are set.
 */
export function personCame(run: BatchRun): void {
  if (!run.personWait) return;
  run.personWait = undefined;
  upsertSearchAttributes([{ key: waitingSinceKey, value: null }]);
}

/** The first alert of a wait, a reminder every notifyEvery, and the wait timeout's action. */
async function watchPersonWait(run: BatchRun, episode: number): Promise<void> {
  const { opts } = run;
  const over = () => run.personWait?.episode !== episode;
  await sendAlert(run, 'waiting-for-person');
  const since = run.personWait?.since ?? Date.now();
  let nextReminder = since + opts.notifyEveryMs;
  const timeoutAt = opts.waitTimeoutMs > 0 ? since + opts.waitTimeoutMs : Infinity;
  let timedOut = false;
  while (!over()) {
    const next = Math.min(nextReminder, timedOut ? Infinity : timeoutAt);
    if (await condition(over, Math.max(1, next - Date.now()))) return;
    if (!timedOut && Date.now() >= timeoutAt) {
      timedOut = true;
      await onWaitTimeout(run);
    } else {
      await sendAlert(run, 'still-waiting');
      nextReminder += opts.notifyEveryMs;
    }
  }
}

async function onWaitTimeout(run: BatchRun): Promise<void> {
  const { opts } = run;
  const waited = `${Math.round(opts.waitTimeoutMs / 1000)} s`;
  const action = { 'keep-waiting': 'it keeps waiting', cancel: 'the batch is cancelled', fail: 'the batch fails' }[opts.onWaitTimeout];
  log.warn(`The batch waited for a person longer than ${waited}; ${action}`, { batchId: run.batchId });
  await sendAlert(run, 'wait-timeout', { timeout: action });
  if (opts.onWaitTimeout === 'cancel') run.stopBecause = new CancelledFailure(`waited for a person longer than ${waited}`);
  if (opts.onWaitTimeout === 'fail') {
    run.stopBecause = ApplicationFailure.create({
      type: 'WaitTimeout',
      nonRetryable: true,
      message: `waited for a person longer than ${waited}: ${run.personWait?.reason}`,
    });
  }
}

/** The last alert: how the batch ended (a person may be waiting for it overnight). Sent even when cancelled. */
export async function alertEnded(run: BatchRun, reason: string | null): Promise<void> {
  personCame(run);
  await CancellationScope.nonCancellable(() => sendAlert(run, 'ended', { reason }));
}

/** Pauses the batch itself, saying why; `resume` clears it. */
export function pauseBecause(run: BatchRun, reason: string): void {
  const { carry } = run;
  if (!carry.pausedBecause) log.warn(`The batch paused: ${reason}`, { batchId: run.batchId });
  carry.paused = true;
  carry.pausedBecause ??= reason;
  needPerson(run, carry.pausedBecause);
  run.publish();
}

/** Why a worker refused the batch's activities: its store and the batch's. */
const storeReason = (run: BatchRun, workerStore: string) => `a ${workerStore}, not to this batch's ${run.input.store ? storeLabel(run.input.store) : 'store'}`;

/** Pauses for a failure the operator fixes outside the batch (the source, a worker's store); false: not such a failure. */
export function pausedFor(run: BatchRun, err: unknown): boolean {
  const type = failureType(err);
  const message = (err as ActivityFailure).cause?.message ?? String(type);
  if (type === FailureTypes.SourceChanged) pauseBecause(run, message);
  else if (type === FailureTypes.StoreMismatch) pauseBecause(run, storeReason(run, message));
  else return false;
  return true;
}

/** A worker on another results store refused these clients: they wait, pending, and the batch pauses. */
export function storeProblem(run: BatchRun, clients: ClientEntry[], reason: string): void {
  for (const client of clients) addPending(run.carry.pending, client);
  pauseBecause(run, storeReason(run, reason));
}
