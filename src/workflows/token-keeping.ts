// Token keeping: a person's refresh, automatic refresh after an expiry (within bounds), and the proactive
// refresh of a token whose lifetime is known. The token itself is only ever handled sealed.
import { type ActivityFailure, CancellationScope, condition, isCancellation, log, proxyActivities, proxySinks, sleep } from '@temporalio/workflow';
import type { Activities, RefreshTokenInput, RefreshTokenOutput } from '../activities';
import type { ClientEntry } from '../contract/sources';
import { FailureTypes } from '../contract/failures';
import type { TokenRefreshedInput } from '../contract/messages';
import type { MetricsSinks } from '../telemetry/metric-names';
import { failureType } from './api-calls';
import { addPending, autoRefreshVerdict, proactiveRefreshAt } from './batch-state';
import type { BatchRun } from './batch-run';
import { needPerson, personCame } from './person-wait';

/** A refusal is final (a person acts); an outage of the token provider is retried for about half a minute. */
const tokenActivities = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: {
    maximumAttempts: 5,
    initialInterval: '1 second',
    maximumInterval: '15 seconds',
    nonRetryableErrorTypes: [FailureTypes.NoTokenProvider, FailureTypes.TokenRefused, FailureTypes.TokenUnavailable],
  },
});

const autoRefreshOf = (run: BatchRun) => (run.carry.autoRefresh ??= { count: 0, inARow: 0 });

/** A person's refresh (signal or update). While not waiting it just replaces the token; while waiting it resumes the batch. */
export function acceptRefresh(run: BatchRun, arg?: TokenRefreshedInput): void {
  const { carry } = run;
  carry.sealedToken = arg?.sealedToken;
  carry.tokenExpiresAt = arg?.expiresAt;
  carry.tokenObtainedAt = Date.now();
  if (carry.autoRefresh) carry.autoRefresh.inARow = 0; // a person's token: the bound starts again
  run.refreshNote = null;
  personCame(run);
  carry.tokenGeneration++;
  carry.tokenRefreshes++;
  proxySinks<MetricsSinks>().metrics.personRefresh(run.batchId);
  carry.waitingForToken = false;
  carry.waitingSince = undefined;
  run.publish();
}

/** The refreshToken Update's answer: whether the batch resumed, and from where. */
export function refreshReply(run: BatchRun, arg: TokenRefreshedInput) {
  const { carry, batchId } = run;
  const resumed = carry.waitingForToken;
  const pending = carry.pending.length;
  const resumeFromClientId = carry.pending[0]?.id ?? null;
  acceptRefresh(run, arg);
  const paused = carry.paused ? `; it is paused: run \`clientsync resume ${batchId}\`` : '';
  const message = resumed
    ? `Resumed batch ${batchId}: ${pending} pending, resume from ${resumeFromClientId}${paused}`
    : `the batch was not waiting; token replaced${paused}`;
  return { resumed, pending, resumeFromClientId, message };
}

/** A call met an expired (or unusable) token: the client waits in pending, and the batch for a new token. */
export function tokenProblem(run: BatchRun, client: ClientEntry, generation: number, reason: string): void {
  const { carry } = run;
  addPending(carry.pending, client);
  // A call that started with an older token says nothing about the new one: it just waits in pending.
  if (generation === carry.tokenGeneration && !carry.waitingForToken) {
    carry.waitingForToken = true;
    carry.waitingSince = new Date().toISOString();
    run.lastTokenError = reason;
    if (run.opts.autoRefresh) {
      if (!run.refreshing) void CancellationScope.nonCancellable(() => refreshAfterExpiry(run)); // cancelling the batch ends it anyway
    } else {
      log.info('Token expired; waiting for tokenRefreshed', { batchId: run.batchId, resumeFrom: carry.pending[0]?.id });
      needPerson(run, reason);
    }
  }
  run.publish();
}

/**
 * Asks the workers' token provider for a new token and resumes with it. Returns false when that failed:
 * after an expiry the batch then waits for a person, and `lastTokenError` says why.
 */
export async function refreshAutomatically(run: BatchRun, why: RefreshTokenInput['why']): Promise<boolean> {
  const { carry } = run;
  const generation = carry.tokenGeneration;
  run.refreshing = true;
  if (why === 'expired') autoRefreshOf(run).lastReactiveAt = Date.now();
  try {
    const out = await tokenActivities.refreshToken({
      batchId: run.batchId,
      why,
      ...(carry.sealedToken ? { current: carry.sealedToken } : {}),
      ...(carry.sealedRefreshToken ? { sealedRefreshToken: carry.sealedRefreshToken } : {}),
    });
    if (carry.tokenGeneration === generation) useNewToken(run, out, why); // else a person's refresh came meanwhile: theirs stands
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return carry.tokenGeneration !== generation || refreshFailed(run, err, why);
  } finally {
    run.refreshing = false;
    run.publish();
  }
}

function useNewToken(run: BatchRun, out: RefreshTokenOutput, why: RefreshTokenInput['why']): void {
  const { carry } = run;
  carry.sealedToken = out.sealedToken;
  carry.tokenExpiresAt = out.expiresAt ?? undefined;
  carry.tokenObtainedAt = Date.now();
  if (out.sealedRefreshToken) carry.sealedRefreshToken = out.sealedRefreshToken;
  carry.tokenGeneration++;
  carry.tokenRefreshes++;
  const auto = autoRefreshOf(run);
  auto.count++;
  auto.inARow++;
  delete auto.noProvider; // a worker with a provider has come: the usual bounds apply again
  const resumed = carry.waitingForToken ? `; resuming at ClientId ${carry.pending[0]?.id} (${carry.pending.length} pending)` : '';
  carry.waitingForToken = false;
  carry.waitingSince = undefined;
  run.lastTokenError = null;
  run.refreshNote = null;
  log.info(`New token from ${out.provider} (${why})${resumed}`, { batchId: run.batchId });
}

/** Says why a refresh failed; true only where that changes nothing (no provider for the first token). */
function refreshFailed(run: BatchRun, err: unknown, why: RefreshTokenInput['why']): boolean {
  const { carry } = run;
  const type = failureType(err);
  const reason = (err as ActivityFailure).cause?.message ?? String(err);
  if (type === FailureTypes.NoTokenProvider) autoRefreshOf(run).noProvider = true;
  if (type === FailureTypes.NoTokenProvider && why === 'initial') return true; // the workers' own token, as before
  const failed = type === FailureTypes.NoTokenProvider ? `no automatic refresh: ${reason}` : `automatic refresh failed: ${reason}`;
  if (why === 'initial') {
    carry.waitingForToken = true;
    carry.waitingSince = new Date().toISOString();
  }
  if (carry.waitingForToken) {
    run.refreshNote = failed;
    waitForPerson(run);
  } else {
    log.warn(`Could not refresh the token before it ends (${failed}); it is refreshed when it expires`, { batchId: run.batchId });
  }
  return false;
}

function waitForPerson(run: BatchRun): void {
  log.warn(`The batch waits for a person: ${run.tokenError()}`, { batchId: run.batchId, resumeFrom: run.carry.pending[0]?.id ?? null });
  needPerson(run, run.tokenError()!);
}

/** After an expiry: a new token within the bounds (at most one a minute, 3 in a row), else a person's. */
async function refreshAfterExpiry(run: BatchRun): Promise<void> {
  const { carry, opts } = run;
  const verdict = autoRefreshVerdict(carry.autoRefresh, Date.now(), opts.autoRefreshMinIntervalMs);
  if (verdict.kind === 'person') {
    run.refreshNote = verdict.why;
    waitForPerson(run);
    return run.publish();
  }
  if (verdict.kind === 'later') {
    const generation = carry.tokenGeneration;
    run.refreshNote = `automatic refresh at ${new Date(verdict.at).toISOString()} (at most one per ${opts.autoRefreshMinIntervalMs / 1000} s after an expiry)`;
    run.publish();
    await sleep(verdict.at - Date.now());
    if (!carry.waitingForToken || carry.tokenGeneration !== generation) return; // a person's refresh came first
  }
  run.refreshNote = 'refreshing automatically';
  run.publish();
  await refreshAutomatically(run, 'expired');
}

/** Refreshes a token whose lifetime is known before it ends, so calls rarely meet an expiry at all. It never ends. */
export async function keepTokenFresh(run: BatchRun): Promise<void> {
  const { carry } = run;
  let failedFor: number | undefined;
  for (;;) {
    const expiresAt = carry.tokenExpiresAt;
    const changed = () => carry.tokenExpiresAt !== expiresAt;
    const at = proactiveRefreshAt(carry);
    if (at === undefined || expiresAt === failedFor) await condition(changed);
    else if (at > Date.now()) await condition(changed, at - Date.now());
    else {
      await condition(() => changed() || (!run.refreshing && !carry.paused && !carry.waitingForToken));
      if (!changed() && !(await refreshAutomatically(run, 'proactive'))) failedFor = expiresAt;
    }
  }
}
