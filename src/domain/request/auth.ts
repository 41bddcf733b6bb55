/**
 * Where the batch's secret goes in each request (`--auth`). The secret itself is sealed and refreshed as any
 * token is; only its place differs. Shown requests carry REDACTED in its stead.
 */
export type AuthPlace =
  { kind: 'bearer' } | { kind: 'basic' } | { kind: 'header'; name: string } | { kind: 'query'; name: string };

export const REDACTED = 'REDACTED';

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `bearer`, `basic`, `header:NAME` or `query:NAME`; throws a one-line error naming the fix. */
export function parseAuth(text: string): AuthPlace {
  if (text === 'bearer' || text === 'basic') return { kind: text };
  const m = /^(header|query):(.+)$/.exec(text);
  if (m && (m[1] === 'query' || HEADER_NAME.test(m[2]!))) return { kind: m[1] as 'header' | 'query', name: m[2]! };
  throw new Error(
    `--auth ${JSON.stringify(text)} is not a place for the credential; use bearer, basic, header:NAME (e.g. header:X-Api-Key) or query:NAME`,
  );
}

/**
 * Puts the secret in its place. `shown`: for people, so the secret is REDACTED (basic auth too, not its encoding).
 * Basic auth takes the secret as `user:password`.
 */
export function placeCredential(
  place: AuthPlace,
  secret: string,
  url: URL,
  headers: Record<string, string>,
  shown = false,
): void {
  const value = shown ? REDACTED : secret;
  switch (place.kind) {
    case 'bearer':
      headers.authorization = `Bearer ${value}`;
      return;
    case 'basic':
      headers.authorization = `Basic ${shown ? REDACTED : Buffer.from(secret, 'utf8').toString('base64')}`;
      return;
    case 'header':
      headers[place.name.toLowerCase()] = value;
      return;
    case 'query':
      url.searchParams.set(place.name, value);
      return;
  }
}

/** The credential as the request carries it, to read it back: the fake API, and checks that it never leaks. */
export function credentialOf(
  place: AuthPlace,
  url: URL,
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const header = (name: string) => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  switch (place.kind) {
    case 'bearer':
      return /^Bearer (.+)$/.exec(header('authorization') ?? '')?.[1];
    case 'basic': {
      const encoded = /^Basic (.+)$/.exec(header('authorization') ?? '')?.[1];
      return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
    }
    case 'header':
      return header(place.name);
    case 'query':
      return url.searchParams.get(place.name) ?? undefined;
  }
}

/**
 * Text with every occurrence of the secret REDACTED, as sent (plain, URL-encoded, or base64 for basic auth) or
 * as an API may echo it inside JSON: error reasons and kept bodies.
 */
export function redactSecret(text: string, secret: string): string {
  if (!secret) return text;
  let out = text;
  const forms = [secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')];
  for (const form of new Set([...forms, JSON.stringify(secret).slice(1, -1)]))
    if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}
