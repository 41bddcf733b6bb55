// What an API says of its own limits in its answers' headers: the IETF httpapi draft's RateLimit-Policy and
// RateLimit (and the RateLimit-Limit/-Remaining/-Reset of its earlier versions), and the common
// X-RateLimit-Remaining with X-RateLimit-Reset. Structured fields are parsed by structured-headers.
import { parseDictionary, parseItem, parseList, type InnerList, type Item, type Parameters } from 'structured-headers';

export interface RateFacts {
  /** Calls per second the tightest advertised policy allows. */
  apiRate?: number;
  /** Calls left in the current window, and ms until it resets. */
  remaining?: number;
  resetMs?: number;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);

/** A header parsed as a structured List; undefined when absent or malformed (an API's mistake is no fact). */
function list(value: string | undefined): Array<Item | InnerList> | undefined {
  if (!value) return undefined;
  try {
    return parseList(value);
  } catch {
    return undefined;
  }
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * RateLimit-Policy: `"default";q=100;w=60` (draft 8 on) or `100;w=60` (drafts up to 7), several policies
 * separated by commas. The rate is the tightest quota per second among those counted in requests.
 */
function policyRate(value: string | undefined): number | undefined {
  let rate: number | undefined;
  for (const [bare, params] of list(value) ?? []) {
    const unit = params.get('qu');
    if (unit !== undefined && String(unit) !== 'requests') continue;
    const quota = num(params.get('q')) ?? num(bare);
    const window = num(params.get('w'));
    if (quota === undefined || !window) continue;
    rate = Math.min(rate ?? Infinity, quota / window);
  }
  return rate;
}

/**
 * RateLimit: `"default";r=50;t=30` (draft 8 on, the policy nearest its end wins) or `limit=100, remaining=50, reset=30`
 * (draft 7).
 */
function quotaOf(value: string | undefined): { remaining: number; resetS: number } | undefined {
  if (!value) return undefined;
  let best: { remaining: number; resetS: number } | undefined;
  for (const [, params] of list(value) ?? []) {
    const remaining = num(params.get('r'));
    const resetS = num(params.get('t'));
    if (remaining !== undefined && resetS !== undefined && (!best || remaining < best.remaining))
      best = { remaining, resetS };
  }
  if (best) return best;
  try {
    const d = parseDictionary(value);
    const remaining = num(d.get('remaining')?.[0]);
    const resetS = num(d.get('reset')?.[0]);
    return remaining !== undefined && resetS !== undefined ? { remaining, resetS } : undefined;
  } catch {
    return undefined;
  }
}

/** An integer header such as RateLimit-Remaining, with structured parameters allowed. */
function integer(value: string | undefined): number | undefined {
  if (!value) return undefined;
  try {
    return num((parseItem(value) as [unknown, Parameters])[0]);
  } catch {
    return undefined;
  }
}

/**
 * X-RateLimit-Reset is seconds to wait on some APIs and a Unix time on others (GitHub): a value past the year
 * 2001 in seconds (or in ms) is a time.
 */
function resetMsOf(value: number, now: number): number {
  if (value > 1e12) return Math.max(0, value - now);
  if (value > 1e9) return Math.max(0, value * 1000 - now);
  return value * 1000;
}

/** The limits an answer's headers state, lower-case names as Node gives them. */
export function rateFacts(headers: HeaderBag, now = Date.now()): RateFacts {
  const facts: RateFacts = {};
  const rate = policyRate(one(headers['ratelimit-policy']));
  if (rate !== undefined) facts.apiRate = rate;
  const quota = quotaOf(one(headers['ratelimit']));
  if (quota) return { ...facts, remaining: quota.remaining, resetMs: quota.resetS * 1000 };
  for (const prefix of ['ratelimit-', 'x-ratelimit-']) {
    const remaining = integer(one(headers[`${prefix}remaining`]));
    const reset = integer(one(headers[`${prefix}reset`]));
    if (remaining !== undefined && reset !== undefined) return { ...facts, remaining, resetMs: resetMsOf(reset, now) };
  }
  return facts;
}
