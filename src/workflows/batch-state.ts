// The batch's bookkeeping: counters, the pending list and how they read as progress.
// Deterministic: no I/O, time only from the workflow's clock passed in.
import { parseSealed } from '../contract/sealed-token';
import type { ClientEntry } from '../contract/sources';
import type { AutoRefreshCarry, Counters, BatchCarry, BatchInput, BatchState } from '../contract/batch';
import { HISTORY_COST, smallestChunk, type Limits, type BatchOptions } from '../contract/options';
import type { BatchProgress, BatchSummary } from '../contract/progress';
import type { PaceView } from '../contract/pace';

/**
 * The size of a chunk started while `inFlight` chunks run, with `left` clients still to start once the
 * whole source has been read. Two ways equal chunks waste slots:
 * - Started together (at the batch's start, after a wait for a token), they end together, and their slots
 *   idle while the workflow tasks that start the next ones queue one behind another. Sized by their place
 *   among the running chunks, they end spread over a chunk's length; then each mostly starts alone, at full size.
 * - At the end, the last full chunks leave the other slots idle. A share of what is left (guided
 *   self-scheduling) lets all slots finish at about the same time, and a small batch use every slot.
 */
export function chunkSize(clientsPerActivity: number, concurrency: number, inFlight: number, left?: number): number {
  const staggered = Math.ceil((clientsPerActivity * Math.min(inFlight + 1, concurrency)) / concurrency);
  const share = left === undefined ? clientsPerActivity : Math.ceil(left / concurrency);
  return Math.max(1, Math.min(staggered, share));
}

/**
 * At most how many more chunks than full ones chunkSize makes of a page: a staggered start splits one round
 * into `concurrency` chunks, and the end of the source, shared out, adds about `concurrency` × ln(K). No
 * chunk is empty, so a page never makes more chunks than it has clients.
 */
export function sizedChunksExtra(clientsPerActivity: number, concurrency: number, pageSize: number): number {
  const fullChunks = Math.ceil(pageSize / clientsPerActivity);
  return Math.min(concurrency * (1 + Math.ceil(Math.log(clientsPerActivity))), pageSize - fullChunks);
}

/**
 * Whether a run of `historyLength` events has no room for one more page of activities (and `extraActivities`),
 * chunked at least `chunk` clients each.
 */
export function runWouldOverflow(historyLength: number, opts: BatchOptions, extraActivities = 0, chunk = smallestChunk(opts)): boolean {
  const perActivity = opts.localCalls ? HISTORY_COST.eventsPerLocalCall : HISTORY_COST.eventsPerActivity;
  const nextPage = (Math.ceil(opts.pageSize / chunk) + extraActivities) * perActivity;
  return historyLength + nextPage + HISTORY_COST.handOverMargin > opts.eventBudget;
}

/**
 * Bounds on automatic refresh, so a provider that hands out tokens the API rejects cannot spin: at most
 * `maxInARow` refreshes without a successful call between them, and after an expiry at most one per
 * `autoRefreshMinIntervalMs` (an option). A token with a known lifetime is refreshed at `proactiveAt` of it.
 */
export const AUTO_REFRESH = { maxInARow: 3, proactiveAt: 0.9 } as const;

/** When to refresh the batch's token before it ends (ms since epoch); undefined: its lifetime is unknown. */
export function proactiveRefreshAt(carry: Pick<BatchCarry, 'tokenExpiresAt' | 'tokenObtainedAt'>): number | undefined {
  if (carry.tokenExpiresAt === undefined) return undefined;
  const from = Math.min(carry.tokenObtainedAt ?? carry.tokenExpiresAt, carry.tokenExpiresAt);
  return from + (carry.tokenExpiresAt - from) * AUTO_REFRESH.proactiveAt;
}

export type AutoRefreshVerdict = { kind: 'now' } | { kind: 'later'; at: number } | { kind: 'person'; why: string };

/**
 * After an expiry: refresh now, later (the once-a-minute bound), or leave it to a person (the in-a-row bound).
 * Workers that had no provider at the last try are asked again at once: they answer without a token, so
 * nothing can spin, and the batch says plainly that it waits for a person rather than for a refresh that
 * will not come.
 */
export function autoRefreshVerdict(auto: AutoRefreshCarry | undefined, now: number, minIntervalMs: number): AutoRefreshVerdict {
  if (auto?.noProvider) return { kind: 'now' };
  if (auto && auto.inARow >= AUTO_REFRESH.maxInARow) {
    return { kind: 'person', why: `automatic refresh stopped: ${auto.inARow} new tokens in a row met an expiry before any call succeeded` };
  }
  const at = (auto?.lastReactiveAt ?? -Infinity) + minIntervalMs;
  return at > now ? { kind: 'later', at } : { kind: 'now' };
}

/**
 * Why the batch trips (failed clients exceed the threshold, strictly), or null. A percentage counts the
 * clients processed so far, once `minSample` of them are; token problems never fail a client, so never count.
 */
export function failureThresholdTrip(c: Counters, opts: Pick<BatchOptions, 'maxFailures' | 'minSample'>): string | null {
  const m = opts.maxFailures;
  if (!m) return null;
  const processed = c.succeeded + c.failed;
  if ('count' in m) return c.failed > m.count ? `${c.failed} clients failed, more than --max-failures ${m.count}` : null;
  if (processed < opts.minSample) return null;
  const rate = (100 * c.failed) / processed;
  return rate > m.percent ? `${c.failed} of ${processed} clients failed (${rate.toFixed(1)}%), more than --max-failures ${m.percent}%` : null;
}

/**
 * Why a refresh should be refused before it enters history, or null: a sealed token that is not one, or
 * sealed with another key than the batch's; or no token while the workers are known to have no provider.
 * The workflow cannot unseal (no key, no crypto), but the key id is in the clear.
 */
export function refreshRefusal(carry: Pick<BatchCarry, 'sealedToken' | 'autoRefresh'>, batchKeyId: string | undefined, sealedToken?: string): string | null {
  if (!sealedToken) {
    return carry.autoRefresh?.noProvider
      ? 'a refresh without a token cannot help: the workers have no token provider; pass the token (--token-file F or --token-stdin)'
      : null;
  }
  const keyId = parseSealed(sealedToken)?.keyId;
  if (!keyId) return 'the token is not sealed by clientsync; send it with `clientsync refresh-token`';
  if (batchKeyId && keyId !== batchKeyId) {
    return `the token was sealed with key ${keyId} but this batch's tokens use key ${batchKeyId}; run refresh-token with the CLIENTSYNC_SEAL_KEY or key file the workers have`;
  }
  return null;
}

/** The sealing key id of a sealed token, which every token of one batch shares. */
export function sealedKeyId(sealedToken: string | undefined): string | undefined {
  return sealedToken === undefined ? undefined : parseSealed(sealedToken)?.keyId;
}

export function initialCarry(input: BatchInput, now: string, batchRun?: string): BatchCarry {
  return {
    ...(input.tokenExpiresAt ? { tokenExpiresAt: input.tokenExpiresAt, tokenObtainedAt: Date.parse(now) } : {}),
    ...(batchRun ? { batchRun } : {}),
    cursor: undefined,
    counters: { processed: 0, succeeded: 0, failed: 0, duplicates: 0 },
    pending: [],
    sealedToken: input.sealedToken,
    tokenGeneration: 0,
    tokenRefreshes: 0,
    waitingForToken: false,
    paused: false,
    run: 1,
    startedAt: now,
    total: input.total,
  };
}

/** Keeps pending clients in source order, so the resume point is the earliest one. */
export function addPending(pending: ClientEntry[], client: ClientEntry): void {
  let i = pending.length;
  while (i > 0 && pending[i - 1]!.position > client.position) i--;
  pending.splice(i, 0, client);
}

export function stateOf(carry: BatchCarry, final: BatchState | undefined): BatchState {
  if (final) return final;
  if (carry.waitingForToken) return 'waiting-for-token';
  if (carry.paused) return 'paused';
  return 'running';
}

export function progressOf(
  batchId: string,
  carry: BatchCarry,
  state: BatchState,
  extra: { now: string; inFlight: number; lastTokenError: string | null; waitingForPersonSince?: string | null; limits?: Limits; pace?: PaceView },
): BatchProgress {
  return {
    batchId,
    batchRun: carry.batchRun ?? null,
    state,
    ...carry.counters,
    pending: carry.pending.length,
    total: carry.total ?? null,
    resumeFromClientId: carry.pending[0]?.id ?? null,
    run: carry.run,
    startedAt: carry.startedAt,
    updatedAt: extra.now,
    waitingSince: carry.waitingForToken ? (carry.waitingSince ?? null) : null,
    tokenRefreshes: carry.tokenRefreshes,
    inFlight: extra.inFlight,
    lastTokenError: extra.lastTokenError,
    pausedBecause: carry.pausedBecause ?? null,
    tokenExpiresAt: carry.tokenExpiresAt === undefined ? null : new Date(carry.tokenExpiresAt).toISOString(),
    automaticRefreshes: carry.autoRefresh?.count ?? 0,
    waitingForPersonSince: extra.waitingForPersonSince ?? null,
    ...(extra.limits ? { limits: extra.limits } : {}),
    ...(extra.pace ? { pace: extra.pace } : {}),
  };
}

/** The one-line story Temporal Web shows as the workflow's current details. */
export function detailsLine(p: BatchProgress): string {
  const of = p.total === null ? '' : ` of ${p.total}`;
  const counts = `${p.processed}${of} processed (${p.succeeded} succeeded, ${p.failed} failed${p.duplicates ? `, ${p.duplicates} duplicates` : ''})`;
  switch (p.state) {
    case 'waiting-for-token':
      return `**waiting for tokenRefreshed** since ${p.waitingSince}, resume from ClientId ${p.resumeFromClientId} (${p.pending} pending; ${p.lastTokenError ?? 'token expired'}). ${counts}. Run ${p.run}.`;
    case 'paused':
      return `**paused**${p.pausedBecause ? ` because ${p.pausedBecause}` : ''}: send resume to continue. ${counts}. Run ${p.run}.`;
    default:
      return `**${p.state}**: ${counts}. Run ${p.run}.`;
  }
}

export function summaryOf(p: BatchProgress, endedAt: number): BatchSummary {
  return {
    batchId: p.batchId,
    batchRun: p.batchRun,
    state: p.state,
    processed: p.processed,
    succeeded: p.succeeded,
    failed: p.failed,
    duplicates: p.duplicates,
    total: p.total ?? p.processed,
    runs: p.run,
    tokenRefreshes: p.tokenRefreshes,
    automaticRefreshes: p.automaticRefreshes ?? 0,
    startedAt: p.startedAt,
    endedAt: new Date(endedAt).toISOString(),
    durationMs: endedAt - Date.parse(p.startedAt),
  };
}
