import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { ValueKind } from '../contract/option-table';
import type { MaxFailures } from '../contract/options';
import { parseAuth } from './request/auth';

// The parsers of option values as people type them, on the command line or in the console's forms: each turns
// a bad value into a one-line error that says what is expected. The CLI wraps them for commander.

/** A value that is not what its option takes; the message says what it takes. */
export class InvalidValueError extends Error {
  override name = 'InvalidValueError';
}

export function wholeNumber(min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidValueError(`expected a whole number from ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidValueError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidValueError('expected a rate from 0 to 1, e.g. 0.05');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidValueError('expected a number above 0');
  return n;
}

export const port = wholeNumber(0, 65535);

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidValueError('expected a number of 0 or more');
  return n;
}

/** A duration as Temporal writes them (`90s`, `30m`, `2h`, `1d`, `1.5 hours`), in milliseconds. */
export function duration(value: string): number {
  let ms: number;
  try {
    ms = msToNumber(value as Duration);
  } catch {
    throw new InvalidValueError('expected a duration such as 90s, 30m, 2h or 1d');
  }
  if (!Number.isFinite(ms) || ms < 1000)
    throw new InvalidValueError('expected a duration of at least 1s, such as 90s, 30m, 2h or 1d');
  return ms;
}

/** An http(s) URL to POST alerts to. */
export function webhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidValueError('expected an http(s) URL to POST alerts to, e.g. a Slack incoming webhook');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new InvalidValueError('expected an http(s) URL to POST alerts to');
  return value;
}

/** Where a credential goes, as `--auth` names it. */
export function authPlace(value: string): string {
  try {
    parseAuth(value);
  } catch (err) {
    throw new InvalidValueError((err as Error).message.replace(/^--auth "[^"]*" is /, ''));
  }
  return value;
}

/** `--max-failures`: a count (`50`) or a percentage of the clients processed (`5%`). */
export function maxFailures(value: string): MaxFailures {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (percent) {
    const p = Number(percent[1]);
    if (p >= 100) throw new InvalidValueError('expected a percentage below 100%, e.g. 5%');
    return { percent: p };
  }
  if (/^\d+$/.test(value)) return { count: Number(value) };
  throw new InvalidValueError('expected a number of clients (e.g. 50) or a percentage (e.g. 5%)');
}

/** The parser of an option table's kind of value; undefined where the text is taken as it is. */
export function parserFor(type: ValueKind): ((value: string) => unknown) | undefined {
  switch (type.kind) {
    case 'whole':
      return wholeNumber(type.min, type.max);
    case 'whole-or-auto':
      return (value: string) => {
        if (value === 'auto') return value;
        if (!/^\d+$/.test(value) || Number(value) < type.min || Number(value) > type.max) {
          throw new InvalidValueError(`expected auto or a whole number from ${type.min} to ${type.max}`);
        }
        return Number(value);
      };
    case 'rate-limit':
      return nonNegativeNumber;
    case 'duration':
      return duration;
    case 'max-failures':
      return maxFailures;
    default:
      return undefined;
  }
}
