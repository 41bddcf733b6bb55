import type { RequestSpec } from '../../contract/options';
import { checkApiUrl, urlFields } from '../client-url';
import { GROUP_KEY, SourceError, type ClientEntry, type SourceFormat } from '../../contract/sources';
import { compileExpression, evaluateExpression, rootFields } from './expression';
import { bodyBindings, entryPlace, fieldsOf, groupField, missingField } from './field-template';
import { parseOkStatus } from './ok-status';
import { splitHeader } from './render-request';
import { HEADER_NAME, parseAuth } from './auth';

/**
 * Header names that carry credentials: --header values are kept in history as written, so a secret goes through --auth.
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password/i;

/** Everything about the request that needs no client entry; throws a one-line error naming the fix. */
export function checkRequestSpec(spec: RequestSpec, apiUrl: string): void {
  checkApiUrl(apiUrl);
  for (const line of spec.headers) {
    const [name] = splitHeader(line);
    if (!HEADER_NAME.test(name))
      throw new Error(`--header ${JSON.stringify(line)}: ${JSON.stringify(name)} is not a header name`);
    if (/[\r\n]/.test(line))
      throw new Error(`--header ${JSON.stringify(line)} spans lines; give one header per --header`);
    if (CREDENTIAL_HEADER.test(name)) {
      throw new Error(
        `--header ${JSON.stringify(name)} would keep a credential in the batch's history as written; ` +
          `pass the secret as the token (API_TOKEN, --token-file) with --auth ${name === 'authorization' ? 'bearer or --auth basic' : `header:${name}`}`,
      );
    }
  }
  for (const [flag, template] of templatesOf(spec, apiUrl)) {
    const odd = fieldsOf(template).find((f) => f.startsWith('$') && !groupField(f));
    if (odd !== undefined)
      throw new Error(
        `${flag} names {${odd}}: a name that starts with $ is a field of the enclosing object, written {${GROUP_KEY}.Field}`,
      );
  }
  parseAuth(spec.auth);
  parseOkStatus(spec.okStatus);
  if (spec.body !== undefined) compileExpression('--body', spec.body);
  if (spec.result !== undefined) compileExpression('--result', spec.result);
  if (spec.body !== undefined && spec.method === 'GET')
    throw new Error('--body needs a method that sends one: add --method POST (or PUT, PATCH)');
}

/**
 * What every entry of the source must hold for its URL and headers: checked for each entry while the source
 * is validated, so a missing field is refused before anything starts, with the entry's place.
 */
export function entryFieldCheck(spec: RequestSpec, apiUrl: string): (entry: ClientEntry) => void {
  const needs: Array<[string, string[]]> = [
    ['--api-url', urlFields(apiUrl, spec.body === undefined)],
    ...spec.headers.map((line): [string, string[]] => [
      `--header ${JSON.stringify(line)}`,
      fieldsOf(splitHeader(line)[1]),
    ]),
  ];
  return (entry) => {
    for (const [flag, fields] of needs) {
      const missing = missingField(entry, fields);
      if (missing === undefined) continue;
      const inGroup = groupField(missing);
      throw new SourceError(
        inGroup === undefined
          ? `${entryPlace(entry)} has no value for ${missing}, which ${flag} names; add it to every client or change the template`
          : `the object that holds ${entryPlace(entry)} has no value for ${inGroup}, which ${flag} names as {${missing}}; add it to every object or change the template`,
      );
    }
  };
}

/** The URL and each header value, with the flag that gives it. */
function templatesOf(spec: RequestSpec, apiUrl: string): Array<[string, string]> {
  return [
    ['--api-url', apiUrl],
    ...spec.headers.map((line): [string, string] => [`--header ${JSON.stringify(line)}`, splitHeader(line)[1]]),
  ];
}

/**
 * Whether the request reads the clients' enclosing objects ({$group.Region}, or $group in --body); throws when
 * the source's format has none.
 */
export function namesGroupFields(spec: RequestSpec, apiUrl: string, format: SourceFormat): boolean {
  const named =
    templatesOf(spec, apiUrl).some(([, t]) => fieldsOf(t).some((f) => groupField(f) !== undefined)) ||
    (spec.body !== undefined && /\$group\b/.test(spec.body));
  if (named && (format === 'jsonl' || format === 'csv'))
    throw new Error(
      `the request names ${GROUP_KEY} fields, which only the nested JSON format has (objects that hold a ClientList); name the client's own fields instead`,
    );
  return named;
}

/**
 * The body built for the first entries: an expression that fails on one is refused with the entry and the
 * position, and a field that none of them has (a misspelt name, most likely) is refused with its position.
 */
export async function checkBodyOnEntries(spec: RequestSpec, entries: readonly ClientEntry[]): Promise<void> {
  if (spec.body === undefined || entries.length === 0) return;
  const expr = compileExpression('--body', spec.body);
  for (const entry of entries) {
    let value: unknown;
    try {
      value = await evaluateExpression('--body', expr, entry.record, bodyBindings(entry));
    } catch (err) {
      throw new Error(`${entryPlace(entry)}: ${(err as Error).message}`);
    }
    if (value === undefined) throw new Error(`${entryPlace(entry)}: --body gives nothing; check the fields it names`);
  }
  for (const field of rootFields(expr)) {
    if (!entries.some((e) => field.name in e.record)) {
      throw new Error(
        `--body names ${field.name} at position ${field.position} of the expression, ` +
          `a field that none of the first ${entries.length} clients has; check its spelling`,
      );
    }
  }
}
