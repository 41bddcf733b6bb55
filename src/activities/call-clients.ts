import { ApplicationFailure, Context } from '@temporalio/activity';
import { expectedFailure, outcomeLine, resultProblemLine } from './expected-failures';
import type { ClientEntry } from '../domain/sources/types';
import type { RetryOptions } from '../contract/options';
import { batchKey, settledByClaim, type ResultsStore } from '../store/results-store';
import type { CallClientInput } from './call-client';
import { countProcessed, labelsOf, meteredCall } from '../telemetry/call-metrics';
import { checkStore } from './store-check';
import { Pacer } from './pacer';
import type { TokenResolver } from './token-resolver';

export type ClientOutcome = 'succeeded' | 'failed' | 'duplicate';

export interface CallClientsInput extends Omit<CallClientInput, 'client' | 'notBefore'> {
  /** The chunk, in source order; called one after another. */
  clients: ClientEntry[];
  /** Per-client retries of transient answers, done inside the activity. */
  retry: RetryOptions;
  /** Least time between this chunk's calls: --rps split over the chunks in flight. */
  paceMs?: number;
}

export interface CallClientsOutput {
  /** Outcomes of clients[0 .. outcomes.length-1]. */
  outcomes: ClientOutcome[];
  /** Index of the first client that met a token problem; it and all after it are pending. */
  pendingFrom: number | null;
  tokenProblem?: string;
}

/**
 * Heartbeat details: how far the chunk got, for people (Temporal Web shows them). A retry does not need
 * them: the store's claims say which clients already have their outcome.
 */
interface ChunkProgress {
  done: number;
}

/** Least time between a chunk's heartbeats: each is encoded for the SDK, and at a fast API a chunk finishes about a hundred clients a second. */
const HEARTBEAT_EVERY_MS = 1000;

/** Exponential backoff as Temporal's retry policy computes it. */
export function backoffMs(retry: RetryOptions, attempt: number): number {
  return Math.min(retry.initialIntervalMs * retry.backoffCoefficient ** (attempt - 1), retry.maximumIntervalMs);
}

/** Sleeps in slices, heartbeating, so a long backoff never looks like a dead worker. */
async function sleepHeartbeating(ms: number, progress: () => ChunkProgress): Promise<void> {
  const ctx = Context.current();
  for (let left = ms; left > 0; left -= 2000) {
    ctx.heartbeat(progress());
    await ctx.sleep(Math.min(left, 2000));
  }
}

/**
 * Calls a chunk of clients one after another in one activity (the `clientsPerActivity` mode), for
 * throughput: a few history events per chunk instead of per client. The chunk claims its clients in one
 * transaction, and the claims of a retry after a crash say exactly which clients already have an outcome
 * (written right after each answer), so none of them is called again. An expired token ends the chunk
 * reporting exactly which clients are pending.
 */
export function makeCallClients(store: ResultsStore, tokens: TokenResolver, pacer = new Pacer()) {
  return expectedFailure(async function callClients(input: CallClientsInput): Promise<CallClientsOutput> {
    const ctx = Context.current();
    checkStore(store, input.store);
    const key = batchKey(input.batchId, input.batchRun);
    const outcomes: ClientOutcome[] = [];
    const progress = () => ({ done: outcomes.length });
    let heartbeatAt = 0;
    const beat = () => {
      const now = Date.now();
      if (now - heartbeatAt < HEARTBEAT_EVERY_MS) return;
      heartbeatAt = now;
      ctx.heartbeat(progress());
    };
    const claims = await store.claimAll(key, input.clients);
    const { batchId } = input;
    let lastCallAt = 0;
    for (let i = 0; i < input.clients.length; i++) {
      const client = input.clients[i]!;
      const settled = settledByClaim(claims[i]!);
      if (settled) {
        outcomes.push(settled);
        continue;
      }
      let token: string;
      try {
        token = await tokens.resolve(input.sealedToken, input.tokenGeneration);
      } catch (err) {
        if (err instanceof ApplicationFailure) return { outcomes, pendingFrom: i, tokenProblem: err.message };
        throw err;
      }
      for (let attempt = 1; ; attempt++) {
        if (input.paceMs) {
          // The chunk's own pace bounds the batch's rate across workers; the worker's pacer smooths chunk boundaries.
          const wait = pacer.reserve(batchId, lastCallAt + input.paceMs, input.minGapMs ?? 0);
          if (wait > 0) await ctx.sleep(wait);
          lastCallAt = Date.now();
        }
        const { verdict, status, body, resultProblem } = await meteredCall({ ...input, client, token });
        if (verdict.kind === 'token-expired') {
          ctx.log.info(outcomeLine.tokenExpired(client.id, verdict.reason));
          return { outcomes, pendingFrom: i, tokenProblem: verdict.reason };
        }
        if (verdict.kind === 'success') {
          const line = resultProblem && resultProblemLine(batchId, client.id, resultProblem);
          if (line) ctx.log.warn(line);
          await store.recordSuccess(key, client.id, body, status ?? 200, attempt);
          countProcessed(labelsOf(batchId), 'succeeded');
          outcomes.push('succeeded');
          break;
        }
        if (verdict.kind === 'fail' || attempt >= input.retry.maximumAttempts) {
          await store.recordFailure(key, client.id, verdict.reason, status, attempt);
          countProcessed(labelsOf(batchId), 'failed');
          ctx.log.info(outcomeLine.failed(client.id, verdict.reason));
          outcomes.push('failed');
          break;
        }
        ctx.log.info(outcomeLine.retrying(client.id, verdict.reason, attempt));
        await sleepHeartbeating(verdict.retryAfterMs ?? backoffMs(input.retry, attempt), progress);
      }
      beat();
    }
    return { outcomes, pendingFrom: null };
  });
}
