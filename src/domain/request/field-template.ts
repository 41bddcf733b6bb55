import { GROUP_KEY, type ClientEntry } from '../../contract/sources';

/** `{Field}` in a URL or a header value: the client entry's field of that name. */
const PLACEHOLDER = /\{([^{}]+)\}/g;

/** The entry fields a template names, each once, in order. */
export function fieldsOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** `{$group.Region}`: a field of the client's enclosing object, in the nested format. */
const GROUP_PREFIX = `${GROUP_KEY}.`;

/** Whether a template's name reads the enclosing object, and the field it reads there. */
export function groupField(name: string): string | undefined {
  return name.startsWith(GROUP_PREFIX) ? name.slice(GROUP_PREFIX.length) : undefined;
}

/** A field's value as text, or undefined when the entry has no such field or it holds no single value. */
export function fieldText(record: Record<string, unknown>, name: string): string | undefined {
  const inGroup = groupField(name);
  const group = record[GROUP_KEY];
  const holder = inGroup === undefined ? record : typeof group === 'object' && group !== null ? group : {};
  const v = (holder as Record<string, unknown>)[inGroup ?? name];
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

/** What --body sees besides the client: `$group`, its enclosing object's fields. */
export function bodyBindings(entry: ClientEntry): Record<string, unknown> {
  return { group: entry.record[GROUP_KEY] ?? {} };
}
