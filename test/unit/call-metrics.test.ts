import { describe, expect, it } from 'vitest';
import { classifyRequestError, classifyResponse } from '../../src/domain/classify';
import type { MetricCounter } from '@temporalio/common';
import { callOutcome } from '../../src/telemetry/call-metrics';
import { CounterBuffer } from '../../src/telemetry/counter-buffer';

const answered = (status: number, body = '{}') => callOutcome(classifyResponse({ status, body }), status);

describe('callOutcome: how clientsync_api_calls_total names the end of a call', () => {
  it('names each kind of answer', () => {
    expect(answered(200)).toBe('succeeded');
    expect(answered(404)).toBe('failed');
    expect(answered(401, '{"ErrorMessage":"Session already expired."}')).toBe('token_expired');
    expect(answered(429)).toBe('retried_429');
    expect(answered(503)).toBe('retried_5xx');
    expect(answered(408)).toBe('timeout');
  });

  it('names calls that got no answer, and requests that were never sent', () => {
    expect(callOutcome(classifyRequestError(Object.assign(new Error('aborted'), { name: 'AbortError' })), null)).toBe(
      'timeout',
    );
    expect(callOutcome(classifyRequestError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), null)).toBe(
      'connection_error',
    );
    expect(callOutcome({ kind: 'fail', reason: 'RequestShape:--body gives nothing' }, null)).toBe('not_sent');
  });
});

describe('CounterBuffer', () => {
  it('hands the meter one sum per label set, not one call per increment', () => {
    const adds: Array<[number, object]> = [];
    const counter = { add: (n: number, tags: object) => void adds.push([n, tags]) } as unknown as MetricCounter;
    const buffer = new CounterBuffer();
    for (let i = 0; i < 3; i++) buffer.add('c', counter, { task_queue: 'q', outcome: 'succeeded' });
    buffer.add('c', counter, { task_queue: 'q', outcome: 'failed' }, 2);
    expect(adds).toEqual([]);
    buffer.flush();
    expect(adds).toEqual([
      [3, { task_queue: 'q', outcome: 'succeeded' }],
      [2, { task_queue: 'q', outcome: 'failed' }],
    ]);
  });
});
