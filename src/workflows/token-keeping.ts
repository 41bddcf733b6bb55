// Token keeping: a person's refresh, automatic refresh after an expiry (within bounds), and the proactive
// refresh of a token whose lifetime is known. The token itself is only ever handled sealed.
import {
  type ActivityFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  proxySinks,
  sleep,
} from '@temporalio/workflow';
import type { Activities, RefreshTokenInput, RefreshTokenOutput } from '../activities';
import type { ClientEntry } from '../contract/sources';
import { FailureTypes } from '../contract/failures';
import type { TokenRefreshedInput } from '../contract/messages';
import type { MetricsSinks } from '../telemetry/metric-names';
import { failureType } from './api-calls';
import { autoRefreshVerdict, proactiveRefreshAt } from './refresh-policy';
import { addPending } from './pending';
import type { RunState } from './run-state';
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

const autoRefreshOf = (state: RunState) => (state.carry.autoRefresh ??= { count: 0, inARow: 0 });

/**
 * A person's refresh (signal or update). While not waiting it just replaces the token; while waiting it resumes the
 * batch.
 */
export function acceptRefresh(state: RunState, arg?: TokenRefreshedInput): void {
  const { carry } = state;
  carry.sealedToken = arg?.sealedToken;
  carry.tokenExpiresAt = arg?.expiresAt;
  carry.tokenObtainedAt = Date.now();
  if (carry.autoRefresh) carry.autoRefresh.inARow = 0; // a person's token: the bound starts again
  state.refreshNote = null;
  personCame(state);
  carry.tokenGeneration++;
  carry.tokenRefreshes++;
  proxySinks<MetricsSinks>().metrics.personRefresh(state.batchId);
  carry.waitingForToken = false;
  carry.waitingSince = undefined;
  state.publish();
}

/** The refreshToken Update's answer: whether the batch resumed, and from where. */
export function refreshReply(state: RunState, arg: TokenRefreshedInput) {
  const { carry, batchId } = state;
  const resumed = carry.waitingForToken;
  const pending = carry.pending.length;
  const resumeFromClientId = carry.pending[0]?.id ?? null;
  acceptRefresh(state, arg);
  const paused = carry.paused ? `; it is paused: run \`clientsync resume ${batchId}\`` : '';
  const message = resumed
    ? `Resumed batch ${batchId}: ${pending} pending, resume from ${resumeFromClientId}${paused}`
    : `the batch was not waiting; token replaced${paused}`;
  return { resumed, pending, resumeFromClientId, message };
}

/** A call met an expired (or unusable) token: the client waits in pending, and the batch for a new token. */
export function tokenProblem(state: RunState, client: ClientEntry, generation: number, reason: string): void {
  const { carry } = state;
  addPending(carry.pending, client);
  // A call that started with an older token says nothing about the new one: it just waits in pending.
  if (generation === carry.tokenGeneration && !carry.waitingForToken) {
    carry.waitingForToken = true;
    carry.waitingSince = new Date().toISOString();
    state.lastTokenError = reason;
    if (state.opts.autoRefresh) {
      if (!state.refreshing) void CancellationScope.nonCancellable(() => refreshAfterExpiry(state)); // cancelling the batch ends it anyway
    } else {
      log.info('Token expired; waiting for tokenRefreshed', {
        batchId: state.batchId,
        resumeFrom: carry.pending[0]?.id,
      });
      needPerson(state, reason);
    }
  }
  state.publish();
}

/**
 * Asks the workers' token provider for a new token and resumes with it. Returns false when that failed:
 * after an expiry the batch then waits for a person, and `lastTokenError` says why.
 */
export async function refreshAutomatically(state: RunState, why: RefreshTokenInput['why']): Promise<boolean> {
  const { carry } = state;
  const generation = carry.tokenGeneration;
  state.refreshing = true;
  if (why === 'expired') autoRefreshOf(state).lastReactiveAt = Date.now();
  try {
    const out = await tokenActivities.refreshToken({
      batchId: state.batchId,
      why,
      ...(carry.sealedToken ? { current: carry.sealedToken } : {}),
      ...(carry.sealedRefreshToken ? { sealedRefreshToken: carry.sealedRefreshToken } : {}),
    });
    if (carry.tokenGeneration === generation) useNewToken(state, out, why); // else a person's refresh came meanwhile: theirs stands
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    return carry.tokenGeneration !== generation || refreshFailed(state, err, why);
  } finally {
    state.refreshing = false;
    state.publish();
  }
}

function useNewToken(state: RunState, out: RefreshTokenOutput, why: RefreshTokenInput['why']): void {
  const { carry } = state;
  carry.sealedToken = out.sealedToken;
  carry.tokenExpiresAt = out.expiresAt ?? undefined;
  carry.tokenObtainedAt = Date.now();
  if (out.sealedRefreshToken) carry.sealedRefreshToken = out.sealedRefreshToken;
  carry.tokenGeneration++;
  carry.tokenRefreshes++;
  const auto = autoRefreshOf(state);
  auto.count++;
  auto.inARow++;
  delete auto.noProvider; // a worker with a provider has come: the usual bounds apply again
  const resumed = carry.waitingForToken
    ? `; resuming at ClientId ${carry.pending[0]?.id} (${carry.pending.length} pending)`
    : '';
  carry.waitingForToken = false;
  carry.waitingSince = undefined;
  state.lastTokenError = null;
  state.refreshNote = null;
  log.info(`New token from ${out.provider} (${why})${resumed}`, { batchId: state.batchId });
}

/** Says why a refresh failed; true only where that changes nothing (no provider for the first token). */
function refreshFailed(state: RunState, err: unknown, why: RefreshTokenInput['why']): boolean {
  const { carry } = state;
  const type = failureType(err);
  const reason = (err as ActivityFailure).cause?.message ?? String(err);
  if (type === FailureTypes.NoTokenProvider) autoRefreshOf(state).noProvider = true;
  if (type === FailureTypes.NoTokenProvider && why === 'initial') return true; // the workers' own token, as before
  const failed =
    type === FailureTypes.NoTokenProvider ? `no automatic refresh: ${reason}` : `automatic refresh failed: ${reason}`;
  if (why === 'initial') {
    carry.waitingForToken = true;
    carry.waitingSince = new Date().toISOString();
  }
  if (carry.waitingForToken) {
    state.refreshNote = failed;
    waitForPerson(state);
  } else {
    log.warn(`Could not refresh the token before it ends (${failed}); it is refreshed when it expires`, {
      batchId: state.batchId,
    });
  }
  return false;
}

function waitForPerson(state: RunState): void {
  log.warn(`The batch waits for a person: ${state.tokenError()}`, {
    batchId: state.batchId,
    resumeFrom: state.carry.pending[0]?.id ?? null,
  });
  needPerson(state, state.tokenError()!);
}

/** After an expiry: a new token within the bounds (at most one a minute, 3 in a row), else a person's. */
async function refreshAfterExpiry(state: RunState): Promise<void> {
  const { carry, opts } = state;
  const verdict = autoRefreshVerdict(carry.autoRefresh, Date.now(), opts.autoRefreshMinIntervalMs);
  if (verdict.kind === 'person') {
    state.refreshNote = verdict.why;
    waitForPerson(state);
    return state.publish();
  }
  if (verdict.kind === 'later') {
    const generation = carry.tokenGeneration;
    state.refreshNote = `automatic refresh at ${new Date(verdict.at).toISOString()} (at most one per ${opts.autoRefreshMinIntervalMs / 1000} s after an expiry)`;
    state.publish();
    await sleep(verdict.at - Date.now());
    if (!carry.waitingForToken || carry.tokenGeneration !== generation) return; // a person's refresh came first
  }
  state.refreshNote = 'refreshing automatically';
  state.publish();
  await refreshAutomatically(state, 'expired');
}

/** Refreshes a token whose lifetime is known before it ends, so calls rarely meet an expiry at all. It never ends. */
export async function keepTokenFresh(state: RunState): Promise<void> {
  const { carry } = state;
  let failedFor: number | undefined;
  for (;;) {
    const expiresAt = carry.tokenExpiresAt;
    const changed = () => carry.tokenExpiresAt !== expiresAt;
    const at = proactiveRefreshAt(carry);
    if (at === undefined || expiresAt === failedFor) await condition(changed);
    else if (at > Date.now()) await condition(changed, at - Date.now());
    else {
      await condition(() => changed() || (!state.refreshing && !carry.paused && !carry.waitingForToken));
      if (!changed() && !(await refreshAutomatically(state, 'proactive'))) failedFor = expiresAt;
    }
  }
}
