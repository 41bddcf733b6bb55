import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  cluster,
  commands,
  machine,
  metricsCost,
  bigBatch,
  pace,
  rateLimits,
  requestShape,
  resumeLatency,
  scaleOut,
  sourceScaling,
  throughput,
  type Row,
} from './scenarios';

// npm run bench [-- --quick] [-- --only throughput,resume]
// Every scenario starts its own dev server, fake API and worker process, and reports ratios against a
// baseline measured in the same run: absolute times on shared machines are noise.
const SCENARIOS: Record<string, (quick: boolean) => Promise<Row[]>> = {
  throughput,
  resume: resumeLatency,
  commands,
  requests: requestShape,
  metrics: metricsCost,
  sources: sourceScaling,
  'rate-limits': rateLimits,
  'scale-out': scaleOut,
  cluster,
  pace,
  million: (quick) => (quick ? Promise.resolve([]) : bigBatch(1_000_000)),
};

/** Run only when named (`--only ten-million`): about three quarters of an hour on 2 cores. */
const ON_REQUEST: Record<string, (quick: boolean) => Promise<Row[]>> = {
  'ten-million': () => bigBatch(10_000_000),
};

const HEADER = [
  '| scenario | measure | value | ratio | target | verdict | date | commit |',
  '|---|---|---|---|---|---|---|---|',
];

/** A row as the table shows it; `stamp` is its date and commit. */
const line = (r: Row, stamp = ['', '']) =>
  `| ${r.scenario} | ${r.measure} | ${r.value} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.verdict ?? ''} | ${stamp.join(' | ')} |`;
const table = (rows: Row[]) => [...HEADER.slice(0, 2), ...rows.map((r) => line(r))].join('\n');

/** The commit measured: HEAD, marked when the tree has changes not committed yet. */
function commit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: __dirname, encoding: 'utf8' }).trim();
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? '+changes' : ''}`;
}

/**
 * Writes the rows into bench/README.md's table, each with its date, commit and machine. A scenario that ran
 * replaces its rows; the other scenarios' rows stay as they were.
 */
async function recordInReadme(rows: Row[]): Promise<void> {
  const readme = path.join(__dirname, 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = text.indexOf('<!-- results -->');
  const end = text.indexOf('<!-- /results -->');
  const stamp = [new Date().toISOString().slice(0, 10), commit()];
  const ran = new Set(rows.map((r) => r.scenario));
  const kept = text
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !ran.has(l.split(' | ')[0]!.slice(2)));
  const body = [...HEADER, ...kept, ...rows.map((r) => line(r, stamp))].join('\n');
  await writeFile(readme, `${text.slice(0, start)}<!-- results -->\n${body}\n${text.slice(end)}`);
  process.stderr.write(`Recorded in bench/README.md on ${await machine()}.\n`);
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const quick = process.argv.includes('--quick');
  const onlyArg = process.argv.find((a) => a.startsWith('--only'));
  const only = onlyArg
    ? (onlyArg.split('=')[1] ?? process.argv[process.argv.indexOf(onlyArg) + 1] ?? '').split(',')
    : Object.keys(SCENARIOS);
  const all = { ...SCENARIOS, ...ON_REQUEST };
  const rows: Row[] = [];
  for (const name of only) {
    const run = all[name];
    if (!run) throw new Error(`unknown scenario ${name}; one of ${Object.keys(all).join(', ')}`);
    const began = Date.now();
    process.stderr.write(`== ${name}…\n`);
    const got = await run(quick);
    rows.push(...got);
    process.stderr.write(`${table(got)}\n(${Math.round((Date.now() - began) / 1000)} s)\n`);
  }
  const out = table(rows);
  console.log(out);
  if (!quick) await recordInReadme(rows);
  if (rows.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
