/**
 * The URL for one client: `{ClientId}` in the template is replaced, else the id is appended (the original script's
 * `API_BASE_URL + ClientId`). Ids are URL-encoded, so `/`, spaces and unicode are safe.
 */
export function clientUrl(template: string, clientId: string): string {
  const encoded = encodeURIComponent(clientId);
  return template.includes('{ClientId}') ? template.split('{ClientId}').join(encoded) : template + encoded;
}

/** Throws a one-line error naming the fix when `template` is not an http(s) URL. */
export function checkApiUrl(template: string): void {
  let url: URL;
  try {
    url = new URL(clientUrl(template, 'x'));
  } catch {
    throw new Error(`--api-url ${JSON.stringify(template)} is not a URL; use e.g. https://api.example.com/clients/ or …/clients/{ClientId}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--api-url must be http:// or https://, not ${url.protocol}`);
  }
}
