import { describe, expect, it } from 'vitest';
import { failureMatcher, filterText, parseStatuses } from '../../src/domain/failure-filter';
import { regroupFailures, type FailureGroup } from '../../src/store/rows';

describe('retry-failed --status and --reason', () => {
  it('takes a client whose status or reason matches', () => {
    const takes = failureMatcher({ statuses: parseStatuses('5xx, 429'), reasons: ['Timeout*'] });
    expect(takes(503, 'HTTP503:Service Unavailable')).toBe(true);
    expect(takes(429, 'HTTP429:Too Many Requests')).toBe(true);
    expect(takes(null, 'Timeout')).toBe(true);
    expect(takes(404, 'HTTP404:Not Found')).toBe(false);
    expect(takes(null, 'RequestError:ECONNREFUSED')).toBe(false);
  });

  it('matches "none" to a call that got no answer, and a glob across slashes', () => {
    expect(failureMatcher({ statuses: ['none'] })(null, 'Timeout')).toBe(true);
    expect(failureMatcher({ statuses: ['none'] })(500, 'x')).toBe(false);
    expect(failureMatcher({ reasons: ['HTTP4*'] })(400, 'HTTP400:a/b')).toBe(true);
    expect(failureMatcher(undefined)(404, 'anything')).toBe(true);
  });

  it('refuses a status it does not know, naming what it takes', () => {
    expect(() => parseStatuses('5xx,abc')).toThrow(
      /--status takes statuses such as 429, classes such as 5xx, or none.*"abc"/,
    );
    expect(() => parseStatuses(',')).toThrow(/--status takes/);
    expect(() => parseStatuses('600')).toThrow(/"600"/);
  });

  it('says the filter in words', () => {
    expect(filterText({ statuses: ['5xx', '429'], reasons: ['Timeout*'] })).toBe('status 5xx,429 or reason Timeout*');
  });
});

describe('failures --by', () => {
  const groups: FailureGroup[] = [
    { reason: 'HTTP500:a', lastStatus: 500, count: 3, samples: [{ clientId: 'C-1', body: null }] },
    { reason: 'HTTP500:b', lastStatus: 500, count: 2, samples: [{ clientId: 'C-2', body: null }] },
    { reason: 'Timeout', lastStatus: null, count: 4, samples: [{ clientId: 'C-3', body: null }] },
  ];

  it('merges by status, largest first', () => {
    expect(regroupFailures(groups, 'status', 5)).toEqual([
      {
        reason: null,
        lastStatus: 500,
        count: 5,
        samples: [
          { clientId: 'C-1', body: null },
          { clientId: 'C-2', body: null },
        ],
      },
      { reason: null, lastStatus: null, count: 4, samples: [{ clientId: 'C-3', body: null }] },
    ]);
  });

  it('merges by reason and keeps at most the samples asked for', () => {
    const byReason = regroupFailures([...groups, { ...groups[0]!, lastStatus: 502 }], 'reason', 1);
    expect(byReason.map((g) => [g.reason, g.count, g.samples.length])).toEqual([
      ['HTTP500:a', 6, 1],
      ['Timeout', 4, 1],
      ['HTTP500:b', 2, 1],
    ]);
  });
});
