import {
  type ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  allHandlersFinished,
  log,
  sleep,
} from '@temporalio/workflow';
import type { Activities, RefreshTokenInput } from '../activities';
import type { ClientEntry } from '../domain/sources/types';
import { failedKey, processedKey, stateKey, totalKey, waitingSinceKey } from '../search-attributes';
import {
  FailureTypes,
  pauseSignal,
  progressQuery,
  refreshTokenUpdate,
  resumeSignal,
  setLimitsUpdate,
  type LimitsChange,
  tokenRefreshedSignal,
  type TokenRefreshedInput,
  type BatchInput,
  type BatchState,
  type BatchSummary,
  storeLabel,
} from '../shared';
import { alertOf, type AlertEvent } from './alert';
import { failureType, LOCAL_WAVE_ROUNDS, makeApiCalls } from './api-calls';
import {
  addPending,
  autoRefreshVerdict,
  chunkSize,
  detailsLine,
  failureThresholdTrip,
  initialCarry,
  limitsChangeRefusal,
  limitsLine,
  limitsOf,
  proactiveRefreshAt,
  progressOf,
  refreshRefusal,
  resolveOptions,
  runWouldOverflow,
  sealedKeyId,
  sizedChunksExtra,
  stateOf,
  summaryOf,
} from './batch-state';

const sourceActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FailureTypes.BadSource, FailureTypes.SourceChanged] },
});

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

/** An alert that fails is retried for about a minute, then given up with a warning: it never fails the batch. */
const alertActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: [FailureTypes.TokenUnavailable] },
});

/**
 * Calls the API once for every client of the source, `concurrency` at a time. On an expired token it stops
 * starting calls, waits for `tokenRefreshed`, and resumes at exactly the clients that met the expiry.
 * Its position (cursor, counters, pending clients) survives continue-as-new at page boundaries.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const opts = resolveOptions(input.options);
  const sizedChunks = opts.clientsPerActivity > 1;
  // The key is chosen once, in the first run, and carried: every run of one batch writes under the same key.
  const carry = input.carry ?? initialCarry(input, new Date().toISOString(), workflowInfo().firstExecutionRunId);
  let buffer: ClientEntry[] = [];
  let inFlight = 0;
  let finalState: BatchState | undefined;
  let lastTokenError: string | null = null;
  let publishedState: BatchState | undefined;
  /** A refreshToken activity is running. */
  let refreshing = false;
  /** What automatic refresh is doing about the token problem, or why it gave up; shown after lastTokenError. */
  let refreshNote: string | null = null;
  /** The batch waits for a person: since when and why; each wait is an episode with its own alerts. */
  let personWait: { since: number; reason: string; episode: number } | undefined;
  let episodes = 0;
  /** Ends the batch from inside (the wait timeout's cancel or fail). */
  let stopBecause: Error | undefined;
  /** Why a call failed in a way no client outcome covers; ends the batch as failed. */
  let callError: unknown;

  const tokenError = () => [lastTokenError, refreshNote].filter((x) => x !== null).join('; ') || null;
  const progress = () =>
    progressOf(input.batchId, carry, stateOf(carry, finalState), {
      now: new Date().toISOString(),
      inFlight,
      lastTokenError: tokenError(),
      waitingForPersonSince: personWait ? new Date(personWait.since).toISOString() : null,
      limits: limitsOf(opts),
    });
  /**
   * Mirrors progress into Temporal Web. The details line costs no history event, so it follows every
   * client; search attributes do (one event per upsert), so they follow state changes and page boundaries.
   */
  const publish = (attributes: 'if-state-changed' | 'always' = 'if-state-changed') => {
    const p = progress();
    setCurrentDetails(detailsLine(p));
    if (attributes === 'if-state-changed' && p.state === publishedState) return;
    publishedState = p.state;
    upsertSearchAttributes([
      { key: stateKey, value: p.state },
      { key: processedKey, value: p.processed },
      { key: failedKey, value: p.failed },
      ...(p.total === null ? [] : [{ key: totalKey, value: p.total }]),
    ]);
  };

  /** A person acted (a refresh, a resume): the wait is over. Defined before the handlers that call it: a signal
   * sent before this run started is delivered as soon as its handler is set. */
  const personCame = () => {
    if (!personWait) return;
    personWait = undefined;
    upsertSearchAttributes([{ key: waitingSinceKey, value: null }]);
  };

  setHandler(progressQuery, progress);
  /** A person's refresh (signal or update). While not waiting it just replaces the token; while waiting it resumes the batch. */
  const acceptRefresh = (arg?: TokenRefreshedInput) => {
    carry.sealedToken = arg?.sealedToken;
    carry.tokenExpiresAt = arg?.expiresAt;
    carry.tokenObtainedAt = Date.now();
    if (carry.autoRefresh) carry.autoRefresh.inARow = 0; // a person's token: the bound starts again
    refreshNote = null;
    personCame();
    carry.tokenGeneration++;
    carry.tokenRefreshes++;
    carry.waitingForToken = false;
    carry.waitingSince = undefined;
    publish();
  };
  setHandler(tokenRefreshedSignal, acceptRefresh);
  // Every token of a batch is sealed with one key: the first one's (the starter's, or a worker's refresh).
  const batchKeyId = () => sealedKeyId(input.sealedToken ?? carry.sealedToken);
  setHandler(
    refreshTokenUpdate,
    (arg) => {
      const resumed = carry.waitingForToken;
      const pending = carry.pending.length;
      const resumeFromClientId = carry.pending[0]?.id ?? null;
      acceptRefresh(arg);
      const paused = carry.paused ? `; it is paused: run \`clientsync resume ${input.batchId}\`` : '';
      const message = resumed
        ? `Resumed batch ${input.batchId}: ${pending} pending, resume from ${resumeFromClientId}${paused}`
        : `the batch was not waiting; token replaced${paused}`;
      return { resumed, pending, resumeFromClientId, message };
    },
    {
      validator: (arg) => {
        const refusal = refreshRefusal(carry, batchKeyId(), arg.sealedToken);
        if (refusal) throw new Error(refusal);
      },
    },
  );
  setHandler(pauseSignal, () => {
    carry.paused = true;
    publish();
  });
  setHandler(resumeSignal, () => {
    carry.paused = false;
    carry.pausedBecause = undefined;
    personCame();
    publish();
  });

  const onTokenProblem = (client: ClientEntry, generation: number, reason: string) => {
    addPending(carry.pending, client);
    // A call that started with an older token says nothing about the new one: it just waits in pending.
    if (generation === carry.tokenGeneration && !carry.waitingForToken) {
      carry.waitingForToken = true;
      carry.waitingSince = new Date().toISOString();
      lastTokenError = reason;
      if (autoRefreshOn()) {
        if (!refreshing) void CancellationScope.nonCancellable(refreshAfterExpiry); // cancelling the batch ends it anyway
      } else {
        log.info('Token expired; waiting for tokenRefreshed', { batchId: input.batchId, resumeFrom: carry.pending[0]?.id });
        needPerson(reason);
      }
    }
    publish();
  };

  const autoRefreshOn = () => opts.autoRefresh;
  const autoRefresh = () => (carry.autoRefresh ??= { count: 0, inARow: 0 });

  /**
   * Asks the workers' token provider for a new token and resumes with it. Returns false when that failed:
   * after an expiry the batch then waits for a person, and `lastTokenError` says why.
   */
  const refreshAutomatically = async (why: RefreshTokenInput['why']): Promise<boolean> => {
    const generation = carry.tokenGeneration;
    refreshing = true;
    if (why === 'expired') autoRefresh().lastReactiveAt = Date.now();
    try {
      const current = carry.sealedToken;
      const out = await tokenActivities.refreshToken({
        batchId: input.batchId,
        why,
        ...(current ? { current } : {}),
        ...(carry.sealedRefreshToken ? { sealedRefreshToken: carry.sealedRefreshToken } : {}),
      });
      if (carry.tokenGeneration !== generation) return true; // a person's refresh came meanwhile: theirs stands
      carry.sealedToken = out.sealedToken;
      carry.tokenExpiresAt = out.expiresAt ?? undefined;
      carry.tokenObtainedAt = Date.now();
      if (out.sealedRefreshToken) carry.sealedRefreshToken = out.sealedRefreshToken;
      carry.tokenGeneration++;
      carry.tokenRefreshes++;
      autoRefresh().count++;
      autoRefresh().inARow++;
      delete autoRefresh().noProvider; // a worker with a provider has come: the usual bounds apply again
      const resumed = carry.waitingForToken ? `; resuming at ClientId ${carry.pending[0]?.id} (${carry.pending.length} pending)` : '';
      carry.waitingForToken = false;
      carry.waitingSince = undefined;
      lastTokenError = null;
      refreshNote = null;
      log.info(`New token from ${out.provider} (${why})${resumed}`, { batchId: input.batchId });
      return true;
    } catch (err) {
      if (isCancellation(err)) throw err;
      if (carry.tokenGeneration !== generation) return true;
      const type = failureType(err);
      const reason = (err as ActivityFailure).cause?.message ?? String(err);
      if (type === FailureTypes.NoTokenProvider) autoRefresh().noProvider = true;
      if (type === FailureTypes.NoTokenProvider && why === 'initial') return true; // the workers' own token, as before
      const failed = type === FailureTypes.NoTokenProvider ? `no automatic refresh: ${reason}` : `automatic refresh failed: ${reason}`;
      if (why === 'initial') {
        carry.waitingForToken = true;
        carry.waitingSince = new Date().toISOString();
      }
      if (carry.waitingForToken) {
        refreshNote = failed;
        log.warn(`The batch waits for a person: ${tokenError()}`, { batchId: input.batchId, resumeFrom: carry.pending[0]?.id ?? null });
        needPerson(tokenError()!);
      } else {
        log.warn(`Could not refresh the token before it ends (${failed}); it is refreshed when it expires`, { batchId: input.batchId });
      }
      return false;
    } finally {
      refreshing = false;
      publish();
    }
  };

  /** After an expiry: a new token within the bounds (at most one a minute, 3 in a row), else a person's. */
  const refreshAfterExpiry = async () => {
    const verdict = autoRefreshVerdict(carry.autoRefresh, Date.now(), opts.autoRefreshMinIntervalMs);
    if (verdict.kind === 'person') {
      refreshNote = verdict.why;
      log.warn(`The batch waits for a person: ${tokenError()}`, { batchId: input.batchId, resumeFrom: carry.pending[0]?.id ?? null });
      needPerson(tokenError()!);
      return publish();
    }
    if (verdict.kind === 'later') {
      const generation = carry.tokenGeneration;
      refreshNote = `automatic refresh at ${new Date(verdict.at).toISOString()} (at most one per ${opts.autoRefreshMinIntervalMs / 1000} s after an expiry)`;
      publish();
      await sleep(verdict.at - Date.now());
      if (!carry.waitingForToken || carry.tokenGeneration !== generation) return; // a person's refresh came first
    }
    refreshNote = 'refreshing automatically';
    publish();
    await refreshAutomatically('expired');
  };

  /** Refreshes a token whose lifetime is known before it ends, so calls rarely meet an expiry at all. */
  const keepTokenFresh = async () => {
    let failedFor: number | undefined;
    for (;;) {
      const expiresAt = carry.tokenExpiresAt;
      const changed = () => carry.tokenExpiresAt !== expiresAt;
      const at = proactiveRefreshAt(carry);
      if (at === undefined || expiresAt === failedFor) await condition(changed);
      else if (at > Date.now()) await condition(changed, at - Date.now());
      else {
        await condition(() => changed() || (!refreshing && !carry.paused && !carry.waitingForToken));
        if (!changed() && !(await refreshAutomatically('proactive'))) failedFor = expiresAt;
      }
    }
  };
  if (autoRefreshOn()) void CancellationScope.nonCancellable(keepTokenFresh); // it never ends; the batch's end drops it

  /** Tells a person, through the workers' notify activity; a failed alert is a warning, never the batch's failure. */
  const sendAlert = async (event: AlertEvent, extra: { reason?: string | null; timeout?: string } = {}) => {
    const alert = alertOf(event, progress(), {
      reason: extra.reason !== undefined ? extra.reason : (personWait?.reason ?? null),
      waitingSince: personWait ? new Date(personWait.since).toISOString() : null,
      webUrl: input.webUrl ?? null,
      now: new Date().toISOString(),
      ...(extra.timeout ? { timeout: extra.timeout } : {}),
    });
    try {
      await alertActivities.notify({ ...(input.sealedNotifyUrl ? { sealedUrl: input.sealedNotifyUrl } : {}), alert });
    } catch (err) {
      log.warn(`Could not send the ${event} alert: ${(err as ActivityFailure).cause?.message ?? String(err)}`, { batchId: input.batchId });
    }
  };

  /** The batch now needs a person (a token nobody could refresh, a pause it made itself): alert, and keep count. */
  const needPerson = (reason: string) => {
    if (personWait) return;
    personWait = { since: Date.now(), reason, episode: ++episodes };
    upsertSearchAttributes([{ key: waitingSinceKey, value: new Date(personWait.since) }]);
    const episode = personWait.episode;
    void CancellationScope.nonCancellable(() => watchPersonWait(episode));
  };

  /** The first alert of a wait, a reminder every notifyEvery, and the wait timeout's action. */
  const watchPersonWait = async (episode: number) => {
    const over = () => personWait?.episode !== episode;
    await sendAlert('waiting-for-person');
    const since = personWait?.since ?? Date.now();
    let nextReminder = since + opts.notifyEveryMs;
    const timeoutAt = opts.waitTimeoutMs > 0 ? since + opts.waitTimeoutMs : Infinity;
    let timedOut = false;
    while (!over()) {
      const next = Math.min(nextReminder, timedOut ? Infinity : timeoutAt);
      if (await condition(over, Math.max(1, next - Date.now()))) return;
      if (!timedOut && Date.now() >= timeoutAt) {
        timedOut = true;
        await onWaitTimeout();
      } else {
        await sendAlert('still-waiting');
        nextReminder += opts.notifyEveryMs;
      }
    }
  };

  /** The last alert: how the batch ended (a person may be waiting for it overnight). Sent even when cancelled. */
  const alertEnded = async (reason: string | null) => {
    personCame();
    await CancellationScope.nonCancellable(() => sendAlert('ended', { reason }));
  };

  const onWaitTimeout = async () => {
    const waited = `${Math.round(opts.waitTimeoutMs / 1000)} s`;
    const action = { 'keep-waiting': 'it keeps waiting', cancel: 'the batch is cancelled', fail: 'the batch fails' }[opts.onWaitTimeout];
    log.warn(`The batch waited for a person longer than ${waited}; ${action}`, { batchId: input.batchId });
    await sendAlert('wait-timeout', { timeout: action });
    if (opts.onWaitTimeout === 'cancel') stopBecause = new CancelledFailure(`waited for a person longer than ${waited}`);
    if (opts.onWaitTimeout === 'fail') {
      stopBecause = ApplicationFailure.create({
        type: 'WaitTimeout',
        nonRetryable: true,
        message: `waited for a person longer than ${waited}: ${personWait?.reason}`,
      });
    }
  };

  /** Pauses the batch itself, saying why; `resume` clears it. */
  const pauseBecause = (reason: string) => {
    if (!carry.pausedBecause) log.warn(`The batch paused: ${reason}`, { batchId: input.batchId });
    carry.paused = true;
    carry.pausedBecause ??= reason;
    needPerson(carry.pausedBecause);
    publish();
  };

  /** Why a worker refused the batch's activities: its store and the batch's. */
  const storeReason = (workerStore: string) => `a ${workerStore}, not to this batch's ${input.store ? storeLabel(input.store) : 'store'}`;
  /** Pauses for a failure the operator fixes outside the batch (the source, a worker's store); false: not such a failure. */
  const pausedFor = (err: unknown): boolean => {
    const type = failureType(err);
    const message = (err as ActivityFailure).cause?.message ?? String(type);
    if (type === FailureTypes.SourceChanged) pauseBecause(message);
    else if (type === FailureTypes.StoreMismatch) pauseBecause(storeReason(message));
    else return false;
    return true;
  };

  const onStoreProblem = (clients: ClientEntry[], reason: string) => {
    for (const client of clients) addPending(carry.pending, client);
    pauseBecause(storeReason(reason));
  };

  const settle = (client: ClientEntry, outcome: 'succeeded' | 'failed' | 'duplicate') => {
    carry.counters.processed++;
    if (outcome === 'succeeded' && carry.autoRefresh) carry.autoRefresh.inARow = 0;
    if (outcome === 'succeeded') carry.counters.succeeded++;
    else if (outcome === 'failed') carry.counters.failed++;
    else carry.counters.duplicates++;
    if (outcome === 'failed') checkFailureThreshold();
    publish();
  };

  /** Failed clients past --max-failures pause the batch (an operator fixes the cause, or raises it with `set`) or fail it. */
  const checkFailureThreshold = () => {
    if (carry.paused || stopBecause) return;
    const trip = failureThresholdTrip(carry.counters, opts);
    if (!trip) return;
    if (opts.onMaxFailures === 'fail') stopBecause = ApplicationFailure.create({ type: 'MaxFailures', nonRetryable: true, message: trip });
    else pauseBecause(`${trip} (or raise it: \`clientsync set ${input.batchId} --max-failures …\`)`);
  };

  setHandler(
    setLimitsUpdate,
    (change) => {
      const before = limitsLine(limitsOf(opts));
      const given = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) as LimitsChange;
      Object.assign(opts, given);
      input.options = { ...input.options, ...given }; // carried by continue-as-new
      const limits = limitsOf(opts);
      log.info(`Limits changed: ${limitsLine(limits)}`, { batchId: input.batchId });
      publish();
      return { message: `Batch ${input.batchId}: ${limitsLine(limits)} (was ${before})`, limits };
    },
    {
      validator: (change) => {
        const refusal = limitsChangeRefusal(change);
        if (refusal) throw new Error(refusal);
      },
    },
  );

  const calls = makeApiCalls(input, opts, carry.batchRun, {
    token: () => ({ sealedToken: carry.sealedToken, generation: carry.tokenGeneration }),
    settle,
    tokenProblem: onTokenProblem,
    storeProblem: onStoreProblem,
  });
  /** Runs one activity to its end; in-flight calls finish even when the batch is cancelled, so nothing is half-recorded. */
  const start = (clients: ClientEntry[]) => {
    inFlight++;
    void CancellationScope.nonCancellable(async () => {
      try {
        if (opts.localCalls) await calls.wave(clients);
        else await (clients.length === 1 && opts.clientsPerActivity === 1 ? calls.single(clients[0]!) : calls.chunk(clients));
      } catch (err) {
        // A call that failed past its activity's handling (e.g. recordFailure out of retries) fails the batch.
        callError ??= err;
      } finally {
        inFlight--;
      }
    });
  };

  // --local-calls runs one wave at a time, of several rounds of `concurrency` calls that the worker's gate
  // runs `concurrency` at a time; otherwise `concurrency` activities run at once.
  const canStart = () => !carry.paused && !carry.waitingForToken && inFlight < (opts.localCalls ? 1 : opts.concurrency);
  const perStart = () => {
    if (opts.localCalls) return opts.concurrency * LOCAL_WAVE_ROUNDS;
    if (!sizedChunks) return opts.clientsPerActivity;
    const left = carry.cursor === null ? buffer.length + carry.pending.length : undefined; // the whole source read
    return chunkSize(opts.clientsPerActivity, opts.concurrency, inFlight, left);
  };
  const sourceDone = () => carry.cursor === null && buffer.length === 0;
  /**
   * Leaves room in this run for one more page of calls, split as finely as sized chunks may split it. A run
   * reads at least one page whatever that room: page sizes only guarantee that a page of full chunks fits.
   */
  const extraChunks = sizedChunks ? sizedChunksExtra(opts.clientsPerActivity, opts.concurrency, opts.pageSize) : 0;
  let pagesThisRun = 0;
  const runIsFull = () => workflowInfo().continueAsNewSuggested || runWouldOverflow(workflowInfo().historyLength, opts, pagesThisRun > 0 ? extraChunks : 0);

  /** The next page; undefined when the batch paused instead (its source changed), and a resume reads it again. */
  const readPage = async () => {
    try {
      return await sourceActivities.readClientsPage({ source: input.source, cursor: carry.cursor ?? undefined, pageSize: opts.pageSize });
    } catch (err) {
      if (!pausedFor(err)) throw err;
      return undefined;
    }
  };

  const loop = async (): Promise<void> => {
    while (carry.run === 1 && carry.cursor === undefined && carry.total === undefined) {
      // Validate the whole source before the first API call; its count becomes `total`.
      try {
        carry.total = (await sourceActivities.inspectSource({ source: input.source })).total;
      } catch (err) {
        if (!pausedFor(err)) throw err;
        await condition(() => !carry.paused || stopBecause !== undefined);
        if (stopBecause) throw stopBecause;
      }
    }
    // A batch without a token of its own gets one from the workers' provider, so its lifetime is known.
    if (carry.run === 1 && carry.cursor === undefined && !carry.sealedToken && !carry.autoRefresh && autoRefreshOn()) {
      await refreshAutomatically('initial');
    }
    publish();
    for (;;) {
      await condition(
        () =>
          callError !== undefined ||
          stopBecause !== undefined ||
          (canStart() && (carry.pending.length > 0 || !sourceDone())) ||
          (inFlight === 0 && carry.pending.length === 0 && sourceDone()),
      );
      if (callError !== undefined) throw callError;
      if (stopBecause) throw stopBecause;
      if (carry.pending.length > 0 && canStart()) {
        start(carry.pending.splice(0, perStart()));
      } else if (buffer.length > 0) {
        start(buffer.splice(0, perStart()));
      } else if (carry.cursor !== null) {
        // A page boundary: the only place a run may hand over to the next.
        if (runIsFull()) {
          await condition(() => inFlight === 0 && !refreshing && allHandlersFinished());
          carry.run++;
          return continueAsNew<typeof batchWorkflow>({ ...input, carry });
        }
        const page = await readPage();
        pagesThisRun++;
        if (!page) continue; // paused: the source changed
        buffer = page.clients;
        carry.cursor = page.nextCursor ?? null;
        publish('always');
      } else {
        return; // everything called, nothing pending, nothing in flight
      }
    }
  };

  try {
    await loop();
    finalState = 'completed';
  } catch (err) {
    // Handing over to the next run is not an ending.
    if (err instanceof ContinueAsNew) throw err;
    if (!isCancellation(err)) {
      await CancellationScope.nonCancellable(() => condition(() => inFlight === 0));
      finalState = 'failed';
      publish();
      await alertEnded(failureMessage(err));
      throw err;
    }
    // Cancelled: let in-flight calls finish and record, then end with the summary so far.
    await CancellationScope.nonCancellable(() => condition(() => inFlight === 0));
    finalState = 'cancelled';
  }
  // A refresh before the token's end may still be running: its token was asked for, so it counts. A provider
  // that is down (the activity retrying) does not hold up the end for more than a short while.
  if (refreshing) await CancellationScope.nonCancellable(() => condition(() => !refreshing, '10 seconds'));
  publish('always');
  const endedAt = Date.now();
  await alertEnded(finalState === 'cancelled' ? (stopBecause?.message ?? 'cancelled by a person') : null);
  return summaryOf(progress(), endedAt); // after the alert: a refresh signalled meanwhile still counts
}

/** An ended batch's failure as people read it: the innermost cause's message. */
function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
