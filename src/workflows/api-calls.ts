// How the batch workflow runs its API activities: one client per activity (the default, each listed in
// Temporal Web), one client per local activity (--local-calls: a marker per client, in the worker that runs
// the batch) or a chunk per activity (--clients-per-activity, for throughput). Deterministic code only.
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
} from '@temporalio/workflow';
import type {
  Activities,
  CallClientOutput,
  CallClientsInput,
  CallClientsOutput,
  TransientDetails,
} from '../activities';
import type { PaceReport } from '../contract/pace';
import type { ClientEntry } from '../contract/sources';
import type { BatchInput, ClientOutcome } from '../contract/batch-input';
import { FailureTypes } from '../contract/failures';
import { requestOf, type BatchOptions, type RequestSpec } from '../contract/options';

export interface CallHooks {
  /** The sealed token and its generation at the moment a call starts. */
  token(): { sealedToken?: string; generation: number };
  settle(client: ClientEntry, outcome: ClientOutcome): void;
  tokenProblem(client: ClientEntry, generation: number, reason: string): void;
  /** The clients' worker writes to another results store: they wait, pending, and the batch pauses. */
  storeProblem(clients: ClientEntry[], reason: string): void;
  /** Paced: what a chunk saw of the API (a probe's report says the API answers again). */
  report?(report: PaceReport, probe: boolean): void;
  /** Paced: a client whose call met a transient answer, to call again not before `notBefore`. */
  retryLater?(client: ClientEntry, attempts: number, notBefore: number): void;
  /** Paced: clients not called (the batch must hold), to call first. */
  callFirst?(clients: ClientEntry[], attempts: number[]): void;
}

/** A paced start: its clients with the attempts spent on each, and the pace it runs at. */
export interface PacedStart {
  clients: ClientEntry[];
  attempts: number[];
  pace: NonNullable<CallClientsInput['pace']>;
  paceMs?: number;
  minGapMs?: number;
  /** Calls in flight on the worker, for a wave of local calls. */
  concurrency: number;
  probe?: CallClientsInput['probe'];
}

/**
 * The ApplicationFailure behind an activity's failure: an activity's comes in an ActivityFailure, a local activity's as
 * is.
 */
export function applicationFailure(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

/** The ApplicationFailure type behind an activity's failure. */
export function failureType(err: unknown): string | undefined {
  return applicationFailure(err)?.type ?? undefined;
}

/**
 * --local-calls: a wave is this many rounds of the batch's concurrency. The worker's gate runs `concurrency`
 * of them at a time, so what each wave costs besides its calls (handing them to the worker, the workflow
 * activation between waves) is paid once per this many rounds, not once per round.
 */
export const LOCAL_WAVE_ROUNDS = 5;

/** What every call activity of a batch is started with: its options, and the pace that --rps sets. */
function callActivityOptions(opts: BatchOptions) {
  const callOptions: ActivityOptions = {
    // The margin covers the store write after the answer; a lost worker's call is retried after this long.
    startToCloseTimeout: opts.callTimeoutMs + 5_000,
    retry: {
      maximumAttempts: opts.retry.maximumAttempts,
      initialInterval: opts.retry.initialIntervalMs,
      maximumInterval: opts.retry.maximumIntervalMs,
      backoffCoefficient: opts.retry.backoffCoefficient,
      nonRetryableErrorTypes: [FailureTypes.TokenExpired, FailureTypes.TokenUnavailable],
    },
  };
  // --rps with one client per activity: each call gets a start time 1/rps after the previous one, and the
  // activity waits for it. The workflow is the batch's one dispatcher, so the pace holds across all workers
  // without a timer per call. Calls wait at most `concurrency` slots ahead, so the timeout grows by that much.
  let nextSlotAt = 0;
  const slot = (): number | undefined => {
    if (!opts.rps) return undefined;
    const at = Math.max(Date.now(), nextSlotAt);
    nextSlotAt = at + 1000 / opts.rps;
    return at;
  };
  // Read at each call: `clientsync set` may change rps and concurrency while the batch runs. A call may wait
  // its turn: in a wave behind the rounds before it (a call's timeout at most, each), and with --rps
  // behind the slots of the calls started with it (1/rps each).
  const pacedOptions = (): ActivityOptions => {
    const rounds = opts.localCalls ? LOCAL_WAVE_ROUNDS : 1;
    if (rounds === 1 && !opts.rps) return callOptions;
    const paceMs = opts.rps ? Math.ceil((opts.concurrency * rounds * 1000) / opts.rps) : 0;
    return { ...callOptions, startToCloseTimeout: opts.callTimeoutMs * rounds + 5_000 + paceMs };
  };
  // A chunk retries its clients itself; Temporal retries the chunk only when its worker is lost (no heartbeat).
  const chunkOptions: ActivityOptions = {
    startToCloseTimeout: '1 day',
    heartbeatTimeout: opts.callTimeoutMs + 10_000,
    retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
  };
  return { callOptions, chunkOptions, slot, pacedOptions };
}

/** --local-calls runs waves of LOCAL_WAVE_ROUNDS rounds, bounded by the worker's gate (see CallGate). */
export function makeApiCalls(input: BatchInput, opts: BatchOptions, firstRunId: string | undefined, hooks: CallHooks) {
  const { callOptions, chunkOptions, slot, pacedOptions } = callActivityOptions(opts);
  const { callClient: remoteCall, recordFailure } = proxyActivities<Activities>(callOptions);
  // The worker retries a local call itself for a minute (no events), then through timers in history.
  const callClient = opts.localCalls ? proxyLocalActivities<Activities>(callOptions).callClient : remoteCall;
  const { callClients } = proxyActivities<Activities>(chunkOptions);
  /** The batch's key in the store, and the store's id, as every store-writing activity takes them. */
  const batch = {
    batchId: input.batchId,
    ...(firstRunId ? { batchRun: firstRunId } : {}),
    ...(input.store ? { store: input.store.id } : {}),
  };
  /** A worker refused the clients because its store is not the batch's: they wait, pending. */
  const refusedByStore = (err: unknown, clients: ClientEntry[]): boolean => {
    if (failureType(err) !== FailureTypes.StoreMismatch) return false;
    hooks.storeProblem(clients, applicationFailure(err)?.message ?? FailureTypes.StoreMismatch);
    return true;
  };
  const common = () => ({
    ...batch,
    apiUrl: input.apiUrl,
    request: requestOf(opts),
    callTimeoutMs: opts.callTimeoutMs,
    expiredRegex: opts.expiredRegex,
  });

  /** Starts one client's call: an activity, or a local activity in --local-calls. */
  function call(client: ClientEntry, sealedToken: string | undefined, generation: number): Promise<CallClientOutput> {
    const notBefore = slot();
    return callClient.executeWithOptions({ ...pacedOptions(), summary: `ClientId ${client.id}` }, [
      {
        ...common(),
        client,
        sealedToken,
        tokenGeneration: generation,
        ...(notBefore ? { notBefore, minGapMs: 1000 / opts.rps } : {}),
        ...(opts.localCalls ? { concurrency: opts.concurrency } : {}),
      },
    ]);
  }

  /** One client, one activity; Temporal's retry policy handles transient answers. */
  async function single(client: ClientEntry): Promise<void> {
    const { sealedToken, generation } = hooks.token();
    try {
      hooks.settle(client, (await call(client, sealedToken, generation)).outcome);
    } catch (err) {
      await callFailed(base, client, generation, err);
    }
  }

  /**
   * --local-calls: a wave of clients, each in a local activity, all started at once (the worker's gate keeps
   * a wave to `concurrency` calls at a time). Their outcomes are handled in the wave's order once every
   * call has ended: replay hands a worker's local results over in other groups than the first run did, and
   * the next commands must not depend on that grouping.
   */
  async function wave(clients: ClientEntry[]): Promise<void> {
    const { sealedToken, generation } = hooks.token();
    const results = await Promise.allSettled(clients.map((client) => call(client, sealedToken, generation)));
    for (const [i, result] of results.entries()) {
      if (result.status === 'fulfilled') hooks.settle(clients[i]!, result.value.outcome);
      else await callFailed(base, clients[i]!, generation, result.reason);
    }
  }

  const { callClients: localCallClients } = proxyLocalActivities<Activities>(callOptions);
  const base: CallBase = {
    hooks,
    opts,
    batch,
    recordFailure,
    refusedByStore,
    common,
    callClients,
    chunkOptions,
    callOptions,
  };
  return {
    single,
    wave,
    chunk: (clients: ClientEntry[]) => chunk(base, clients),
    paced: (start: PacedStart) => pacedChunk(base, start),
    pacedWave: (start: PacedStart) => pacedWave(base, localCallClients, start),
  };
}

/** What the shared steps of every kind of call need from the batch. */
interface CallBase {
  hooks: CallHooks;
  opts: BatchOptions;
  batch: { batchId: string; batchRun?: string; store?: string };
  recordFailure: ActivityInterfaceFor<Activities>['recordFailure'];
  refusedByStore(err: unknown, clients: ClientEntry[]): boolean;
  common(): { batchId: string; apiUrl: string; request: RequestSpec; callTimeoutMs: number; expiredRegex?: string };
  callClients: ActivityInterfaceFor<Activities>['callClients'];
  chunkOptions: ActivityOptions;
  callOptions: ActivityOptions;
}

/** A token problem makes the client pending; anything else that outlived its retries fails it, recorded. */
async function callFailed(base: CallBase, client: ClientEntry, generation: number, err: unknown): Promise<void> {
  const { hooks, opts, batch, recordFailure, refusedByStore } = base;
  const failure = applicationFailure(err);
  const type = failure?.type;
  if (type === FailureTypes.TokenExpired || type === FailureTypes.TokenUnavailable) {
    hooks.tokenProblem(client, generation, failure?.message ?? type);
    return;
  }
  if (refusedByStore(err, [client])) return;
  // Retries ran out (or the call failed in a way the activity could not record): the client failed.
  const cause = err instanceof ActivityFailure ? err.cause : failure;
  const details = failure?.details?.[0] as TransientDetails | undefined;
  try {
    await recordFailure({
      ...batch,
      clientId: client.id,
      reason: cause?.message ?? String(err),
      status: details?.status ?? null,
      attempts: opts.retry.maximumAttempts,
    });
  } catch (recordErr) {
    if (refusedByStore(recordErr, [client])) return;
    throw recordErr;
  }
  hooks.settle(client, 'failed');
}

/** A chunk in one activity; its result says which clients ended how and where a token problem began. */
async function chunk(base: CallBase, clients: ClientEntry[]): Promise<void> {
  const { hooks, opts, batch, recordFailure, refusedByStore, common, callClients, chunkOptions } = base;
  const { sealedToken, generation } = hooks.token();
  const first = clients[0]!.id;
  const last = clients[clients.length - 1]!.id;
  try {
    const out = await callClients.executeWithOptions(
      { ...chunkOptions, summary: `ClientIds ${first} … ${last} (${clients.length})` },
      [
        {
          ...common(),
          clients,
          sealedToken,
          tokenGeneration: generation,
          retry: opts.retry,
          ...(opts.rps ? { paceMs: Math.ceil((1000 * opts.concurrency) / opts.rps), minGapMs: 1000 / opts.rps } : {}),
        },
      ],
    );
    out.outcomes.forEach((outcome, i) => hooks.settle(clients[i]!, outcome as ClientOutcome)); // never 'retry': not paced
    if (out.pendingFrom !== null) {
      for (const c of clients.slice(out.pendingFrom))
        hooks.tokenProblem(c, generation, out.tokenProblem ?? FailureTypes.TokenExpired);
    }
  } catch (err) {
    if (refusedByStore(err, clients)) return;
    // Not reached in practice (a chunk is retried until it reports): fail what it had not finished.
    const reason = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
    for (const client of clients) {
      const failed = await recordFailure({
        ...batch,
        clientId: client.id,
        reason,
        status: null,
        attempts: 0,
        keepSuccess: true,
      });
      hooks.settle(client, failed ? 'failed' : 'succeeded');
    }
  }
}

/** What a paced start hands the activity: the clients, their attempts, the batch's token and pace. */
function pacedInput(
  base: CallBase,
  start: PacedStart,
  clients: ClientEntry[],
  attempts: number[],
  generation: number,
  sealedToken?: string,
): CallClientsInput {
  const { paceMs, minGapMs, probe, pace } = start;
  return {
    ...base.common(),
    clients,
    attempts,
    sealedToken,
    tokenGeneration: generation,
    retry: base.opts.retry,
    pace,
    ...(paceMs ? { paceMs, minGapMs } : {}),
    ...(probe ? { probe } : {}),
  };
}

/** A paced chunk in one activity (or a probe): what came back of each client, and what it saw of the API. */
async function pacedChunk(base: CallBase, start: PacedStart): Promise<void> {
  const { sealedToken, generation } = base.hooks.token();
  const { clients, attempts } = start;
  const first = clients[0]!.id;
  const summary = start.probe
    ? `probe: ClientId ${first}`
    : clients.length === 1
      ? `ClientId ${first}`
      : `ClientIds ${first} … ${clients.at(-1)!.id} (${clients.length})`;
  let out: CallClientsOutput;
  try {
    out = await base.callClients.executeWithOptions({ ...base.chunkOptions, summary }, [
      pacedInput(base, start, clients, attempts, generation, sealedToken),
    ]);
  } catch (err) {
    if (base.refusedByStore(err, clients)) return;
    throw err; // retried until it reports, unless the batch is cancelled (a probe) or its worker fails it for good
  }
  takeOutput(base.hooks, clients, attempts, generation, out, !!start.probe);
}

/**
 * --local-calls, paced: each client in a local activity, all started at once; the worker's gate runs `concurrency` at a
 * time.
 */
async function pacedWave(base: CallBase, localCallClients: CallBase['callClients'], start: PacedStart): Promise<void> {
  const { sealedToken, generation } = base.hooks.token();
  const results = await Promise.allSettled(
    start.clients.map((client, i) =>
      localCallClients.executeWithOptions({ ...base.callOptions, summary: `ClientId ${client.id}` }, [
        {
          ...pacedInput(base, start, [client], [start.attempts[i]!], generation, sealedToken),
          concurrency: start.concurrency,
        },
      ]),
    ),
  );
  // In the wave's order once every call has ended, as a wave of unpaced local calls is handled.
  for (const [i, result] of results.entries()) {
    const client = start.clients[i]!;
    if (result.status === 'fulfilled')
      takeOutput(base.hooks, [client], [start.attempts[i]!], generation, result.value, false);
    else if (!base.refusedByStore(result.reason, [client])) throw result.reason;
  }
}

/** Hands each client of a paced chunk's result to the batch: settled, to retry, pending a token, or to call first. */
function takeOutput(
  hooks: CallHooks,
  clients: ClientEntry[],
  attempts: number[],
  generation: number,
  out: CallClientsOutput,
  probe: boolean,
): void {
  if (out.report) hooks.report!(out.report, probe);
  out.outcomes.forEach((outcome, i) => {
    if (outcome !== 'retry') hooks.settle(clients[i]!, outcome);
  });
  for (const r of out.retries ?? []) hooks.retryLater!(clients[r.index]!, r.attempts, r.notBefore);
  if (out.pendingFrom !== null) {
    for (const c of clients.slice(out.pendingFrom))
      hooks.tokenProblem(c, generation, out.tokenProblem ?? FailureTypes.TokenExpired);
  } else if (out.stoppedAt !== undefined && out.stoppedAt < clients.length) {
    hooks.callFirst!(clients.slice(out.stoppedAt), attempts.slice(out.stoppedAt));
  }
}
