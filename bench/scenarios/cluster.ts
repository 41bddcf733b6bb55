import { startStack } from '../stack';
import { type Row, fmt, clientFile, timeCliBatch } from './common';

/**
 * The same batch, started through the CLI, on the SQLite dev server and on a Temporal cluster on
 * PostgreSQL (services in their own processes, results in PostgreSQL), with one worker and with three.
 * Everything shares this machine's cores, so a worker "host" brings no CPU of its own here.
 */
export async function cluster(quick: boolean): Promise<Row[]> {
  // A 20,000-client batch in chunks; one client per activity on 5,000 (a cluster on two cores runs it at
  // ~35/s).
  const modes: Array<[string, number, string[]]> = [
    ['25 clients/activity', quick ? 1000 : 20_000, ['--clients-per-activity', '25']],
    ['1 client/activity', quick ? 300 : 5000, []],
  ];
  const scenario = 'dev server vs cluster (50 ms API, c=20, through the CLI)';
  const baseline = new Map<string, number>();
  const rows: Row[] = [];
  for (const onCluster of [false, true]) {
    const s = await startStack({ latencyMs: 50 }, { cluster: onCluster });
    try {
      for (const workers of [1, 3]) {
        for (let running = workers === 1 ? 0 : 1; running < workers; running++) await s.startWorker('tq');
        for (const [mode, n, flags] of modes) {
          const { rate } = await timeCliBatch(s, await clientFile(n), 'tq', ['--concurrency', '20', ...flags]);
          const first = !baseline.has(mode);
          if (first) baseline.set(mode, rate);
          const where = onCluster ? 'cluster on PostgreSQL' : 'dev server (SQLite)';
          rows.push({
            scenario,
            measure: `${where}, ${workers === 1 ? 'one worker' : `${workers} workers`}, ${mode}, ${n.toLocaleString('en-US')} clients${first ? ' (baseline)' : ''}`,
            value: `${fmt(rate)} calls/s`,
            ratio: fmt(rate / baseline.get(mode)!, 2),
          });
        }
      }
    } finally {
      await s.close();
    }
  }
  return rows;
}
