import type { RequestSpec } from '../../contract/options';
import type { ClientEntry } from '../../contract/sources';
import { clientUrl } from '../client-url';
import { placeCredential, parseAuth } from './auth';
import { compiledExpression, evaluateExpression } from './expression';
import { bodyBindings, fillTemplate } from './field-template';

/** One client's request, exactly as it is sent. */
export interface RenderedRequest {
  method: string;
  url: URL;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string;
}

/**
 * A request that cannot be made for this client (a field missing, a body expression that fails): the client fails, no
 * call is made.
 */
export class RequestShapeError extends Error {
  override name = 'RequestShapeError';
}

/** `Name: value` → [name, value]; throws a one-line error naming the fix. */
export function splitHeader(line: string): [string, string] {
  const i = line.indexOf(':');
  if (i <= 0)
    throw new Error(`--header ${JSON.stringify(line)} is not "Name: value"; use e.g. --header 'X-Source: clientsync'`);
  return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
}

/**
 * The request for one client: its URL, headers and body filled from the entry, the Idempotency-Key, and the
 * credential in its place (`shown`: REDACTED, for people).
 */
export async function renderRequest(
  spec: RequestSpec,
  apiUrl: string,
  entry: ClientEntry,
  idempotencyKey: string,
  secret: string,
  shown = false,
): Promise<RenderedRequest> {
  try {
    const url = new URL(clientUrl(apiUrl, entry, spec.body === undefined));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'cache-control': 'no-cache',
      'idempotency-key': idempotencyKey,
    };
    let body: string | undefined;
    if (spec.body !== undefined) {
      const expr = compiledExpression('--body', spec.body);
      const value = await evaluateExpression('--body', expr, entry.record, bodyBindings(entry));
      if (value === undefined) throw new Error('--body gives nothing for this client');
      body = JSON.stringify(value);
      headers['content-type'] = 'application/json';
    }
    for (const line of spec.headers) {
      const [name, value] = splitHeader(line);
      headers[name] = fillTemplate(value, entry);
    }
    placeCredential(parseAuth(spec.auth), secret, url, headers, shown);
    return { method: spec.method, url, headers, ...(body !== undefined ? { body } : {}) };
  } catch (err) {
    throw new RequestShapeError((err as Error).message);
  }
}

/** A request as `start --show-request` prints it: the request line, the headers, a blank line, the body. */
export function requestText(req: RenderedRequest): string {
  const head = [`${req.method} ${req.url.href}`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)];
  return req.body === undefined ? head.join('\n') : `${head.join('\n')}\n\n${req.body}`;
}
