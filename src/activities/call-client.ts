import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import type { ClientEntry } from '../contract/sources';
import type { RequestSpec } from '../contract/options';
import { FailureTypes } from '../contract/failures';
import { batchKey, settledByClaim, type BatchKey, type ResultsStore } from '../store/results-store';
import { CallGate } from './call-gate';
import { expectedFailure, outcomeLine } from './expected-failures';
import { meteredCall } from '../telemetry/call-metrics';
import type { ClientOutcome } from '../contract/batch-input';
import { recordAnswer } from './record-answer';
import { checkStore } from './store-check';
import { Pacer } from './pacer';
import type { TokenResolver } from './token-resolver';

export interface CallClientInput {
  batchId: string;
  /** The batch's first run id, which keys its outcomes in the store (absent: keyed by the batch id alone). */
  batchRun?: string;
  /** The id of the batch's results store; a worker with another refuses the call (absent: no check). */
  store?: string;
  client: ClientEntry;
  apiUrl: string;
  /** The request's templates (absent: the original script's GET with a bearer token). */
  request?: RequestSpec;
  /** Absent: the worker's own token source. */
  sealedToken?: string;
  /** Bumped by each tokenRefreshed, so workers re-read their own token source once per refresh. */
  tokenGeneration: number;
  callTimeoutMs: number;
  expiredRegex?: string;
  /** --rps: the call waits until this time (ms since epoch), its slot in the batch's pace… */
  notBefore?: number;
  /** …and at least this long after the batch's previous call on this worker. */
  minGapMs?: number;
  /**
   * --local-calls, a wave larger than the batch's concurrency: this worker makes at most this many of the
   * batch's calls at once (see CallGate). Absent: the workflow bounds the calls itself.
   */
  concurrency?: number;
}

export interface CallClientOutput {
  outcome: ClientOutcome;
  status?: number;
  reason?: string;
}

/** Details of a Transient failure, so the workflow can record the last status once retries run out. */
export interface TransientDetails {
  status: number | null;
}

/** A token problem: the client waits, pending, for a new token (not retried, not a failure). */
function tokenExpired(reason: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureTypes.TokenExpired,
    message: reason,
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/** One HTTP call for one client; the verdict decides between a result, a retry and a token wait. */
export function makeCallClient(store: ResultsStore, tokens: TokenResolver, pacer = new Pacer(), gate = new CallGate()) {
  return expectedFailure(async function callClient(input: CallClientInput): Promise<CallClientOutput> {
    const key = batchKey(input.batchId, input.batchRun);
    checkStore(store, input.store);
    const settled = settledByClaim(await store.claim(key, input.client.id, input.client.position, input.client.record));
    if (settled) return { outcome: settled };
    if (input.concurrency === undefined) return call(input, key);
    // One batch's calls on this worker: a reused id is another batch, with token generations of its own.
    const gateKey = `${key.firstRunId}/${key.id}`;
    const leave = await gate.enter(gateKey, input.concurrency);
    try {
      // Another call found this token expired: this one would too.
      const expired = gate.expiredFor(gateKey, input.tokenGeneration);
      if (expired !== undefined) throw tokenExpired(expired);
      return await call(input, key, (reason) => gate.tokenExpired(gateKey, input.tokenGeneration, reason));
    } finally {
      leave();
    }
  });

  /** The call itself, once the client is claimed (and, in a gated wave, has its place). */
  async function call(
    input: CallClientInput,
    key: BatchKey,
    onExpired?: (reason: string) => void,
  ): Promise<CallClientOutput> {
    const { batchId, client } = input;
    const { attempt } = Context.current().info;
    const token = await tokens.resolve(input.sealedToken, input.tokenGeneration);
    if (input.notBefore !== undefined) {
      const wait = pacer.reserve(batchId, input.notBefore, input.minGapMs ?? 0);
      if (wait > 0) await Context.current().sleep(wait);
    }

    const answer = await meteredCall({
      batchId,
      batchRun: input.batchRun,
      client,
      apiUrl: input.apiUrl,
      request: input.request,
      token,
      callTimeoutMs: input.callTimeoutMs,
      expiredRegex: input.expiredRegex,
    });
    const { verdict, status } = answer;

    switch (verdict.kind) {
      case 'success':
        await recordAnswer(store, key, client, answer, attempt, Context.current().log);
        return { outcome: 'succeeded', status: status ?? 200 };
      case 'fail':
        await recordAnswer(store, key, client, answer, attempt, Context.current().log);
        return { outcome: 'failed', status: status ?? undefined, reason: verdict.reason };
      case 'token-expired':
        Context.current().log.info(outcomeLine.tokenExpired(client.id, verdict.reason));
        onExpired?.(verdict.reason);
        throw tokenExpired(verdict.reason);
      case 'retry':
        Context.current().log.info(outcomeLine.retrying(client.id, verdict.reason, attempt));
        throw ApplicationFailure.create({
          category: ApplicationFailureCategory.BENIGN,
          type: FailureTypes.Transient,
          message: verdict.reason,
          details: [{ status } satisfies TransientDetails],
          nextRetryDelay: verdict.retryAfterMs,
        });
    }
  }
}
