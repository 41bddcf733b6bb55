import type { ClientEntry } from '../contract/sources';
import { fieldsOf, fillTemplate } from './request/field-template';

/**
 * The URL for one client: each `{Field}` in the template is replaced by the entry's field. A template without
 * any gets the id appended (the original script's `API_BASE_URL + ClientId`), unless the request carries a
 * body: then it names a collection, as `POST /clients` does, and is used as it is. Values are
 * percent-encoded, so `/`, spaces and unicode are safe.
 */
export function clientUrl(template: string, entry: ClientEntry, appendId = true): string {
  if (fieldsOf(template).length > 0) return fillTemplate(template, entry, encodeURIComponent);
  return appendId ? template + encodeURIComponent(entry.id) : template;
}

/** The entry fields a URL template needs: those it names, or ClientId when it is appended. */
export const urlFields = (template: string, appendId = true): string[] =>
  fieldsOf(template).length > 0 ? fieldsOf(template) : appendId ? ['ClientId'] : [];

/** Throws a one-line error naming the fix when `template` is not an http(s) URL. */
export function checkApiUrl(template: string): void {
  let url: URL;
  try {
    url = new URL(template.replace(/\{[^{}]+\}/g, 'x'));
  } catch {
    throw new Error(
      `--api-url ${JSON.stringify(template)} is not a URL; use e.g. https://api.example.com/clients/ or …/clients/{ClientId}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--api-url must be http:// or https://, not ${url.protocol}`);
  }
}
