import { describe, expect, it } from 'vitest';
import { IdTally } from '../../src/domain/sources/id-tally';

/** Counts the reference way, everything in one Map. */
function reference(ids: string[]) {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return {
    duplicateEntries: ids.length - counts.size,
    duplicates: [...counts].filter(([, n]) => n > 1).map(([id, count]) => ({ id, count })),
  };
}

describe('IdTally', () => {
  it('counts exactly in memory', () => {
    const tally = new IdTally();
    for (const id of ['a', 'b', 'a', 'c', 'a']) tally.add(id);
    expect(tally.duplicateEntries).toBe(2);
    expect(tally.duplicates(20)).toEqual([{ id: 'a', count: 3 }]);
    tally.close();
  });

  it('counts exactly once it has moved to disk, across both halves', () => {
    // Seeded pseudo-random ids with repeats, 3 ids in memory: nearly everything goes through SQLite.
    let x = 7;
    const ids = Array.from({ length: 30_000 }, () => {
      x = (x * 48271) % 2147483647;
      return `C-${x % 20_000}`;
    });
    const tally = new IdTally(3);
    for (const id of ids) tally.add(id);
    const want = reference(ids);
    expect(want.duplicateEntries).toBeGreaterThan(5_000);
    expect(tally.duplicateEntries).toBe(want.duplicateEntries);
    const got = tally.duplicates(100_000);
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(got.sort(byId)).toEqual(want.duplicates.sort(byId));
    expect(tally.duplicates(20)).toHaveLength(20);
    tally.close();
  });

  it('reports no duplicates for distinct ids past the in-memory limit', () => {
    const tally = new IdTally(10);
    for (let i = 0; i < 25_000; i++) tally.add(`id-${i}`);
    expect(tally.duplicateEntries).toBe(0);
    expect(tally.duplicates(20)).toEqual([]);
    tally.close();
  });
});
