import { memoLast } from './memo-last';

/**
 * What a response means for the batch. Pure: no I/O, no Temporal, unit-tested on its own.
 * - success: 2xx, or the statuses of --ok-status;
 * - token-expired: the operator must refresh the token; the client is not failed;
 * - retry: transient (429, 5xx, timeouts, connection errors), retried with backoff;
 * - fail: this client failed (other 4xx); the batch goes on.
 */
export type Verdict =
  | { kind: 'success' }
  | { kind: 'token-expired'; reason: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'fail'; reason: string };

export interface ExpiryRule {
  /** A regex over the response body that marks an expired token; default: the original script's ErrorMessage rule. */
  expiredRegex?: string;
  /** Whether any other 401 (e.g. an invalid token) also waits for a refresh; default true. */
  unauthorizedIsExpiry?: boolean;
  /** The statuses that count as a success (--ok-status); default: 2xx. */
  isOk?: (status: number) => boolean;
}

/** The original script's rule: a JSON ErrorMessage that mentions "session" and "expired", in any case. */
export function seedExpiryMatch(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    const msg = (parsed as { ErrorMessage?: unknown } | null)?.ErrorMessage;
    if (typeof msg !== 'string') return false;
    const lower = msg.toLowerCase();
    return lower.includes('session') && lower.includes('expired');
  } catch {
    return false;
  }
}

/** Compiles an --expired-regex, with an error that names the flag. */
export function compileExpiredRegex(source: string): RegExp {
  try {
    return new RegExp(source, 'i');
  } catch (err) {
    throw new Error(
      `--expired-regex ${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message})`,
    );
  }
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ResponseFacts {
  status: number;
  statusText?: string;
  body: string;
  retryAfter?: string | null;
}

/** compileExpiredRegex, for every response of a batch: the last one compiled is kept. */
const expiredRegex = memoLast(compileExpiredRegex);

export function classifyResponse(res: ResponseFacts, rule: ExpiryRule = {}): Verdict {
  const { status } = res;
  if (rule.isOk ? rule.isOk(status) : status >= 200 && status < 300) return { kind: 'success' };
  if (status === 401 || status === 403) {
    const expired = rule.expiredRegex ? expiredRegex(rule.expiredRegex).test(res.body) : seedExpiryMatch(res.body);
    if (expired) return { kind: 'token-expired', reason: `TokenExpired:${status}` };
    if (status === 401 && rule.unauthorizedIsExpiry !== false)
      return { kind: 'token-expired', reason: 'AuthFailed:401' };
    return { kind: 'fail', reason: `AuthFailed:${status}` };
  }
  const reason = `HTTP${status}:${res.statusText ?? ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(res.retryAfter) };
  }
  return { kind: 'fail', reason };
}

/** A call that got no answer: timeouts and network errors are transient. */
export function classifyRequestError(err: unknown): Verdict {
  // fetch wraps the cause (TypeError "fetch failed"); undici's request throws it with its code.
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { kind: 'retry', reason: 'Timeout' };
  const detail = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return { kind: 'retry', reason: `RequestError:${detail}` };
}
