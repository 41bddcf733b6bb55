import picomatch from 'picomatch';
import type { FailureFilter } from '../contract/sources';
import { InvalidValueError } from './option-values';

/** A status pattern: an exact status, a class such as 5xx, or "none" (the call got no answer). */
const STATUS_PATTERN = /^(?:[1-5][0-9][0-9]|[1-5]xx|none)$/;

/** Parses --status 5xx,429,none; a pattern it does not know is an error that says what it takes. */
export function parseStatuses(text: string): string[] {
  const statuses = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = statuses.find((s) => !STATUS_PATTERN.test(s));
  if (bad !== undefined || statuses.length === 0)
    throw new InvalidValueError(
      `--status takes statuses such as 429, classes such as 5xx, or none, separated by commas; not ${JSON.stringify(bad ?? text)}`,
    );
  return statuses;
}

/** Whether a failed client with this last status or reason is one the filter takes: either may match. */
export function failureMatcher(
  filter: FailureFilter | undefined,
): (status: number | null, reason: string | null) => boolean {
  const statuses = filter?.statuses;
  // bash: a * also crosses "/", which a reason is not a path to respect
  const reasons = filter?.reasons?.map((glob) => picomatch(glob, { bash: true, dot: true }));
  if (!statuses && !reasons) return () => true;
  return (status, reason) =>
    !!statuses?.some((p) => statusMatches(p, status)) || !!reasons?.some((matches) => matches(reason ?? ''));
}

function statusMatches(pattern: string, status: number | null): boolean {
  if (pattern === 'none') return status === null;
  if (status === null) return false;
  return pattern.endsWith('xx') ? Math.floor(status / 100) === Number(pattern[0]) : status === Number(pattern);
}

/** The filter in words, for "12 left: …". */
export function filterText(filter: FailureFilter): string {
  return [
    ...(filter.statuses ? [`status ${filter.statuses.join(',')}`] : []),
    ...(filter.reasons ? [`reason ${filter.reasons.join(',')}`] : []),
  ].join(' or ');
}
