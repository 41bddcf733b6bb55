import { describe, expect, it } from 'vitest';
import {
  classifyRequestError,
  classifyResponse,
  compileExpiredRegex,
  parseRetryAfter,
} from '../../src/domain/classify';

const expired = JSON.stringify({ ErrorMessage: 'Session already expired.' });

describe('classifyResponse', () => {
  it.each([
    [200, '{}', {}, { kind: 'success' }],
    [204, '', {}, { kind: 'success' }],
    [401, expired, {}, { kind: 'token-expired', reason: 'TokenExpired:401' }],
    [
      403,
      JSON.stringify({ ErrorMessage: 'SESSION has EXPIRED' }),
      {},
      { kind: 'token-expired', reason: 'TokenExpired:403' },
    ],
    [401, JSON.stringify({ ErrorMessage: 'Invalid token' }), {}, { kind: 'token-expired', reason: 'AuthFailed:401' }],
    [
      401,
      JSON.stringify({ ErrorMessage: 'Invalid token' }),
      { unauthorizedIsExpiry: false },
      { kind: 'fail', reason: 'AuthFailed:401' },
    ],
    [403, JSON.stringify({ ErrorMessage: 'Forbidden' }), {}, { kind: 'fail', reason: 'AuthFailed:403' }],
    [403, 'not json', {}, { kind: 'fail', reason: 'AuthFailed:403' }],
    [
      401,
      JSON.stringify({ code: 'TOKEN_EXPIRED' }),
      { expiredRegex: '"code"\\s*:\\s*"TOKEN_EXPIRED"' },
      { kind: 'token-expired', reason: 'TokenExpired:401' },
    ],
    [
      403,
      JSON.stringify({ code: 'TOKEN_EXPIRED' }),
      { expiredRegex: 'TOKEN_EXPIRED' },
      { kind: 'token-expired', reason: 'TokenExpired:403' },
    ],
    [403, expired, { expiredRegex: 'TOKEN_EXPIRED' }, { kind: 'fail', reason: 'AuthFailed:403' }],
    [404, '{}', {}, { kind: 'fail', reason: 'HTTP404:Not Found' }],
    [400, '{}', {}, { kind: 'fail', reason: 'HTTP400:Not Found' }],
    [503, '{}', {}, { kind: 'retry', reason: 'HTTP503:Not Found', retryAfterMs: undefined }],
    [500, '{}', {}, { kind: 'retry', reason: 'HTTP500:Not Found', retryAfterMs: undefined }],
  ])('%i %s with %o is %o', (status, body, rule, verdict) => {
    expect(classifyResponse({ status, statusText: 'Not Found', body }, rule)).toEqual(verdict);
  });

  it('honours Retry-After on a 429, in seconds or as a date', () => {
    expect(classifyResponse({ status: 429, statusText: 'Too Many Requests', body: '', retryAfter: '3' })).toEqual({
      kind: 'retry',
      reason: 'HTTP429:Too Many Requests',
      retryAfterMs: 3000,
    });
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('treats timeouts and network errors as transient', () => {
    expect(classifyRequestError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toEqual({
      kind: 'retry',
      reason: 'Timeout',
    });
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    expect(classifyRequestError(reset)).toEqual({ kind: 'retry', reason: 'RequestError:ECONNRESET' });
  });

  it('names the flag when --expired-regex does not compile', () => {
    expect(() => compileExpiredRegex('(')).toThrow(/--expired-regex "\(" is not a valid regular expression/);
  });
});
