import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';
import { classifyRequestError, classifyResponse, type Verdict } from '../classify';
import { redactSecret } from './auth';
import { compiledExpression, evaluateExpression } from './expression';
import { okStatusSet } from './ok-status';
import { rateFacts, type RateFacts } from '../pace/rate-headers';
import { renderRequest, RequestShapeError, type RenderedRequest } from './render-request';
import type { ClientEntry } from '../../contract/sources';
import { DEFAULT_OPTIONS, requestOf, type RequestSpec } from '../../contract/options';

export interface HttpCall {
  batchId: string;
  /** The batch's first run id: with the batch id, it names this batch and no other that reuses the id. */
  batchRun?: string;
  client: ClientEntry;
  apiUrl: string;
  /** The request's templates (absent: the original script's GET with a bearer token). */
  request?: RequestSpec;
  token: string;
  callTimeoutMs: number;
  expiredRegex?: string;
  /** A traced call's span context (`traceparent`), sent with the request. */
  traceHeaders?: Record<string, string>;
}

export interface HttpAnswer {
  verdict: Verdict;
  /** Null when no answer came (timeout, connection error). */
  status: number | null;
  /** What the store keeps: the body, or its --result projection. */
  body: string;
  /** Why --result did not apply to this response (the whole body is kept instead). */
  resultProblem?: string;
  /** For a traced call: the URL requested, with the credential redacted. */
  url?: string;
  /** From the request going out to the whole answer, in ms; absent when no answer came. */
  latencyMs?: number;
  /** The limits the answer's headers state (RateLimit-Policy, RateLimit, X-RateLimit-*), when it states any. */
  rate?: RateFacts;
}

/** Whether an answer's headers state a rate limit: most answers state none, and pay nothing to parse. */
const statesRateLimit = (h: Record<string, unknown>) =>
  h['ratelimit-policy'] !== undefined ||
  h['ratelimit'] !== undefined ||
  h['ratelimit-remaining'] !== undefined ||
  h['x-ratelimit-remaining'] !== undefined;

const DEFAULT_REQUEST = requestOf(DEFAULT_OPTIONS);

/**
 * The key the API can use to drop repeats: `<batchId>:<first run id>:<ClientId>`. It is the same for every
 * attempt at one client in every run of one batch, and differs for a later batch that reuses the batch id
 * (an API that keeps keys for a day would otherwise answer it from the old batch's calls). Percent-encoded,
 * because header values must be ASCII and ids may be any unicode.
 */
export function idempotencyKey(batchId: string, firstRunId: string | undefined, clientId: string): string {
  return [batchId, ...(firstRunId ? [firstRunId] : []), clientId].map(encodeURIComponent).join(':');
}

/** The --result projection of a response, as JSON text; the body is parsed as JSON when it is JSON. */
async function project(expression: string, body: string): Promise<string> {
  let input: unknown = body;
  try {
    input = JSON.parse(body);
  } catch {
    // Not JSON: the expression sees the text.
  }
  const value = await evaluateExpression('--result', compiledExpression('--result', expression), input);
  return JSON.stringify(value ?? null);
}

/**
 * One HTTP call for one client, classified. Never throws for HTTP or network trouble: that is in the verdict.
 * undici's `request`, not `fetch`: the same client underneath without the WHATWG streams, at about a third
 * of fetch's CPU per call (bench/README.md); at a fast API fetch was a fifth of a busy worker's CPU.
 */
export async function callApi(call: HttpCall): Promise<HttpAnswer> {
  const spec = call.request ?? DEFAULT_REQUEST;
  let req: RenderedRequest;
  try {
    req = await renderRequest(
      spec,
      call.apiUrl,
      call.client,
      idempotencyKey(call.batchId, call.batchRun, call.client.id),
      call.token,
    );
  } catch (err) {
    if (!(err instanceof RequestShapeError)) throw err;
    return {
      verdict: { kind: 'fail', reason: `RequestShape:${redactSecret(err.message, call.token)}` },
      status: null,
      body: '',
    };
  }
  if (!call.traceHeaders) return exchange(call, spec, req);
  const answer = await exchange(call, spec, { ...req, headers: { ...req.headers, ...call.traceHeaders } });
  return { ...answer, url: redactSecret(req.url.href, call.token) };
}

/** Sends the request and classifies the answer (its text kept with the credential redacted). */
async function exchange(call: HttpCall, spec: RequestSpec, req: RenderedRequest): Promise<HttpAnswer> {
  // A total timeout, as fetch with AbortSignal.timeout had, with a plain timer: cheaper per call.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), call.callTimeoutMs);
  const began = performance.now();
  try {
    const res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: abort.signal,
    });
    const text = await res.body.text();
    const latencyMs = performance.now() - began;
    const rate = statesRateLimit(res.headers) ? rateFacts(res.headers) : undefined;
    const facts = { latencyMs, ...(rate ? { rate } : {}) };
    const retryAfter = res.headers['retry-after'];
    const verdict = classifyResponse(
      {
        status: res.statusCode,
        statusText: STATUS_CODES[res.statusCode] ?? '',
        body: text,
        retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      },
      { expiredRegex: call.expiredRegex, isOk: spec.okStatus === '2xx' ? undefined : okStatusSet(spec.okStatus) },
    );
    const kept = redactSecret(text, call.token);
    if (verdict.kind !== 'success' || spec.result === undefined)
      return { verdict, status: res.statusCode, body: kept, ...facts };
    try {
      return { verdict, status: res.statusCode, body: await project(spec.result, kept), ...facts };
    } catch (err) {
      return { verdict, status: res.statusCode, body: kept, resultProblem: (err as Error).message, ...facts };
    }
  } catch (err) {
    const verdict = classifyRequestError(err);
    return {
      verdict: 'reason' in verdict ? { ...verdict, reason: redactSecret(verdict.reason, call.token) } : verdict,
      status: null,
      body: '',
    };
  } finally {
    clearTimeout(timer);
  }
}
