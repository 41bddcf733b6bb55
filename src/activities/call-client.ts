import { ApplicationFailure, Context } from '@temporalio/activity';
import { classifyRequestError, classifyResponse, type Verdict } from '../domain/classify';
import { clientUrl } from '../domain/client-url';
import type { ClientEntry } from '../domain/sources/types';
import { FailureTypes } from '../shared';
import type { ResultsStore } from '../store/results-store';
import type { TokenResolver } from './token-resolver';

export interface CallClientInput {
  batchId: string;
  client: ClientEntry;
  apiUrl: string;
  method: string;
  /** Absent: the worker's own token source. */
  sealedToken?: string;
  /** Bumped by each tokenRefreshed, so workers re-read their own token source once per refresh. */
  tokenGeneration: number;
  callTimeoutMs: number;
  expiredRegex?: string;
}

export interface CallClientOutput {
  outcome: 'succeeded' | 'failed' | 'duplicate';
  status?: number;
  reason?: string;
}

/** Details of a Transient failure, so the workflow can record the last status once retries run out. */
export interface TransientDetails {
  status: number | null;
}

/**
 * The key the API can use to drop repeats: the same for every attempt at one client of one batch.
 * Percent-encoded, because header values must be ASCII and ids may be any unicode.
 */
export function idempotencyKey(batchId: string, clientId: string): string {
  return `${encodeURIComponent(batchId)}:${encodeURIComponent(clientId)}`;
}

/** One HTTP call for one client; the verdict decides between a result, a retry and a token wait. */
export function makeCallClient(store: ResultsStore, tokens: TokenResolver) {
  return async function callClient(input: CallClientInput): Promise<CallClientOutput> {
    const { batchId, client } = input;
    const { attempt } = Context.current().info;
    if ((await store.claim(batchId, client.id, client.position, client.record)) === 'duplicate') {
      return { outcome: 'duplicate' };
    }
    const token = await tokens.resolve(input.sealedToken, input.tokenGeneration);

    let status: number | null = null;
    let verdict: Verdict;
    let body = '';
    try {
      const res = await fetch(clientUrl(input.apiUrl, client.id), {
        method: input.method,
        headers: {
          authorization: `Bearer ${token}`,
          'cache-control': 'no-cache',
          'idempotency-key': idempotencyKey(batchId, client.id),
          accept: 'application/json',
        },
        signal: AbortSignal.timeout(input.callTimeoutMs),
      });
      status = res.status;
      body = await res.text();
      verdict = classifyResponse(
        { status: res.status, statusText: res.statusText, body, retryAfter: res.headers.get('retry-after') },
        { expiredRegex: input.expiredRegex },
      );
    } catch (err) {
      verdict = classifyRequestError(err);
    }

    switch (verdict.kind) {
      case 'success':
        await store.recordSuccess(batchId, client.id, body, status ?? 200, attempt);
        return { outcome: 'succeeded', status: status ?? 200 };
      case 'fail':
        await store.recordFailure(batchId, client.id, verdict.reason, status, attempt);
        return { outcome: 'failed', status: status ?? undefined, reason: verdict.reason };
      case 'token-expired':
        throw ApplicationFailure.create({ type: FailureTypes.TokenExpired, message: verdict.reason, nonRetryable: true });
      case 'retry':
        throw ApplicationFailure.create({
          type: FailureTypes.Transient,
          message: verdict.reason,
          details: [{ status } satisfies TransientDetails],
          nextRetryDelay: verdict.retryAfterMs,
        });
    }
  };
}
