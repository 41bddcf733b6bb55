import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/activities/pacer';

describe('Pacer', () => {
  it('waits for the slot, and spaces calls that arrive together by the gap', () => {
    const p = new Pacer();
    expect(p.reserve('b', 1000, 10, 900)).toBe(100); // slot in the future
    expect(p.reserve('b', 1005, 10, 1050)).toBe(0); // next allowed at 1010: already past
    expect(p.reserve('b', 1010, 10, 1050)).toBe(10); // arrived late with the one before: spaced
    expect(p.reserve('b', 1020, 10, 1050)).toBe(20);
    expect(p.reserve('other', 0, 10, 1050)).toBe(0); // batches pace separately
  });
});

describe('Pacer, when the pace changes', () => {
  it('spaces the next call by its own gap, so a pace just cut holds from the very next call', () => {
    const p = new Pacer();
    expect(p.reserve('b', 0, 1, 1000)).toBe(0); // a fast pace: 1 ms apart
    expect(p.reserve('b', 0, 20, 1000)).toBe(20); // cut to 20 ms: the next call waits 20 ms, not 1
  });
});
