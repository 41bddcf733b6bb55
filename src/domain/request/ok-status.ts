import { memoLast } from '../memo-last';

/** `--ok-status`: the statuses that count as a success for a client, e.g. `2xx,409` or `200-204`. */
export type StatusSet = (status: number) => boolean;

const RANGE = /^([1-5])xx$|^([1-5]\d\d)(?:-([1-5]\d\d))?$/;

/** Parses `2xx,409,200-204`; throws a one-line error naming the fix. */
export function parseOkStatus(text: string): StatusSet {
  const ranges = text.split(',').map((part) => {
    const m = RANGE.exec(part.trim());
    if (!m) {
      throw new Error(
        `--ok-status ${JSON.stringify(text)}: ${JSON.stringify(part.trim())} is not a status; ` +
          `use classes such as 2xx, codes such as 409, or ranges such as 200-204`,
      );
    }
    if (m[1]) return [Number(m[1]) * 100, Number(m[1]) * 100 + 99] as const;
    const from = Number(m[2]);
    const to = m[3] ? Number(m[3]) : from;
    if (to < from)
      throw new Error(`--ok-status ${JSON.stringify(text)}: the range ${part.trim()} ends before it starts`);
    return [from, to] as const;
  });
  return (status) => ranges.some(([from, to]) => status >= from && status <= to);
}

/** parseOkStatus, for every response of a batch: the last one parsed is kept. */
export const okStatusSet = memoLast(parseOkStatus);
