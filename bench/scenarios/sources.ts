import path from 'node:path';
import { readPage, scanSource, START_CURSOR, type SourceCursor } from '../../src/domain/sources';
import { ROOT, type Row, fmt, median, clientFile, peakRss } from './common';

/** Target 3 (parts): validation memory flat in file size; the last page costs what the first does. */
export async function sourceScaling(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  let first: number | undefined;
  for (const n of sizes) {
    const file = await clientFile(n);
    const { kb, seconds } = await peakRss([
      path.join(ROOT, 'dist/cli/run.js'),
      'start',
      '--clients',
      file,
      '--dry-run',
    ]);
    first ??= kb;
    rows.push({
      scenario: 'start validation (streaming)',
      measure: `${n.toLocaleString('en')} clients, peak RSS (${fmt(seconds, 1)} s)`,
      value: `${fmt(kb / 1024)} MB`,
      ratio: fmt(kb / first, 2),
    });
  }
  // What is retained rather than merely not yet collected: the largest file again with the heap capped.
  const largest = sizes[sizes.length - 1]!;
  const capped = await peakRss([
    '--max-old-space-size=64',
    path.join(ROOT, 'dist/cli/run.js'),
    'start',
    '--clients',
    await clientFile(largest),
    '--dry-run',
  ]);
  rows.push({
    scenario: 'start validation (streaming)',
    measure: `${largest.toLocaleString('en')} clients, heap capped at 64 MB (${fmt(capped.seconds, 1)} s)`,
    value: `${fmt(capped.kb / 1024)} MB`,
    ratio: fmt(capped.kb / first!, 2),
  });
  const big = await clientFile(sizes[sizes.length - 1]!);
  const source = { path: big, format: 'seed-json' as const };
  let nearEnd: SourceCursor | undefined;
  let i = 0;
  const total = sizes[sizes.length - 1]!;
  for await (const { after } of scanSource(source)) if (++i === total - 200) nearEnd = after;
  const timeRead = async (cursor: SourceCursor) => {
    const ts: number[] = [];
    for (let r = 0; r < 15; r++) {
      const t = process.hrtime.bigint();
      await readPage(source, cursor, 200);
      ts.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    return median(ts);
  };
  const firstPage = await timeRead(START_CURSOR);
  const lastPage = await timeRead(nearEnd!);
  rows.push({
    scenario: 'page reads',
    measure: `first page of ${total.toLocaleString('en')} (baseline)`,
    value: `${fmt(firstPage, 2)} ms`,
    ratio: '1.00',
  });
  rows.push({
    scenario: 'page reads',
    measure: `last page of ${total.toLocaleString('en')}`,
    value: `${fmt(lastPage, 2)} ms`,
    ratio: fmt(lastPage / firstPage, 2),
    target: '≤ 2.00',
    verdict: lastPage / firstPage <= 2 ? 'pass' : 'FAIL',
  });
  return rows;
}
