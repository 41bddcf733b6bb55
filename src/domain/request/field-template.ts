import type { ClientEntry } from '../../contract/sources';

/** `{Field}` in a URL or a header value: the client entry's field of that name. */
const PLACEHOLDER = /\{([^{}]+)\}/g;

/** The entry fields a template names, each once, in order. */
export function fieldsOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** A field's value as text, or undefined when the entry has no such field or it holds no single value. */
export function fieldText(record: Record<string, unknown>, name: string): string | undefined {
  const v = record[name];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** The first field of `fields` that the entry lacks (or holds an object, an array or null in), or undefined. */
export function missingField(entry: ClientEntry, fields: readonly string[]): string | undefined {
  return fields.find((f) => fieldText(entry.record, f) === undefined);
}

/** The template with each `{Field}` replaced by the entry's value, through `encode`. Throws when a field is missing. */
export function fillTemplate(
  template: string,
  entry: ClientEntry,
  encode: (text: string) => string = (t) => t,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const text = fieldText(entry.record, name);
    if (text === undefined) throw new Error(`client ${entry.id} has no field ${name} (with a single value)`);
    return encode(text);
  });
}

/** How people find an entry in the source: its ordinal (1-based) and its id. */
export const entryPlace = (entry: ClientEntry) => `client ${entry.position + 1} (ClientId ${entry.id})`;
