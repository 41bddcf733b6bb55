import { classifyRequestError, classifyResponse, type Verdict } from '../domain/classify';
import { clientUrl } from '../domain/client-url';

export interface HttpCall {
  batchId: string;
  clientId: string;
  apiUrl: string;
  method: string;
  token: string;
  callTimeoutMs: number;
  expiredRegex?: string;
}

export interface HttpAnswer {
  verdict: Verdict;
  /** Null when no answer came (timeout, connection error). */
  status: number | null;
  body: string;
}

/**
 * The key the API can use to drop repeats: the same for every attempt at one client of one batch.
 * Percent-encoded, because header values must be ASCII and ids may be any unicode.
 */
export function idempotencyKey(batchId: string, clientId: string): string {
  return `${encodeURIComponent(batchId)}:${encodeURIComponent(clientId)}`;
}

/** One HTTP call for one client, classified. Never throws for HTTP or network trouble: that is in the verdict. */
export async function callApi(call: HttpCall): Promise<HttpAnswer> {
  try {
    const res = await fetch(clientUrl(call.apiUrl, call.clientId), {
      method: call.method,
      headers: {
        authorization: `Bearer ${call.token}`,
        'cache-control': 'no-cache',
        'idempotency-key': idempotencyKey(call.batchId, call.clientId),
        accept: 'application/json',
      },
      signal: AbortSignal.timeout(call.callTimeoutMs),
    });
    const body = await res.text();
    const verdict = classifyResponse(
      { status: res.status, statusText: res.statusText, body, retryAfter: res.headers.get('retry-after') },
      { expiredRegex: call.expiredRegex },
    );
    return { verdict, status: res.status, body };
  } catch (err) {
    return { verdict: classifyRequestError(err), status: null, body: '' };
  }
}
