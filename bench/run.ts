import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { cluster, commands, machine, million, rateLimits, resumeLatency, scaleOut, sourceScaling, throughput, type Row } from './scenarios';

// npm run bench [-- --quick] [-- --only throughput,resume]
// Every scenario starts its own dev server, fake API and worker process, and reports ratios against a
// baseline measured in the same run: absolute times on shared machines are noise.
const SCENARIOS: Record<string, (quick: boolean) => Promise<Row[]>> = {
  throughput,
  resume: resumeLatency,
  commands,
  sources: sourceScaling,
  'rate-limits': rateLimits,
  'scale-out': scaleOut,
  cluster,
  million: (quick) => (quick ? Promise.resolve([]) : million()),
};

function table(rows: Row[]): string {
  const lines = ['| scenario | measure | value | ratio | target | verdict |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.measure} | ${r.value} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.verdict ?? ''} |`);
  return lines.join('\n');
}

/**
 * Writes the table into bench/README.md. A full run replaces it; a partial run (--only) replaces just the
 * rows of the scenarios it ran, keeping the others, and adds a line saying which scenarios were re-run when.
 */
async function recordInReadme(rows: Row[], full: boolean): Promise<void> {
  const readme = path.join(__dirname, 'README.md');
  const text = await readFile(readme, 'utf8');
  const start = text.indexOf('<!-- results -->');
  const end = text.indexOf('<!-- /results -->');
  const today = new Date().toISOString().slice(0, 10);
  const ran = new Set(rows.map((r) => r.scenario));
  let body: string;
  if (full) {
    body = `Latest full run: ${today}, ${await machine()}.\n\n${table(rows)}\n`;
  } else {
    const old = text.slice(start, end).split('\n');
    const kept = old.filter((l) => l.startsWith('| ') && !l.startsWith('| scenario') && !ran.has(l.split(' | ')[0]!.slice(2)));
    const head = old.filter((l) => l.startsWith('Latest full run') || l.startsWith('Re-run on'));
    const lines = [...kept];
    for (const r of rows) lines.push(table([r]).split('\n')[2]!);
    body = `${head.join('\n')}\nRe-run on ${today}: ${[...ran].join('; ')}.\n\n${table([]).trim()}\n${lines.join('\n')}\n`;
  }
  await writeFile(readme, `${text.slice(0, start)}<!-- results -->\n${body}${text.slice(end)}`);
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const quick = process.argv.includes('--quick');
  const onlyArg = process.argv.find((a) => a.startsWith('--only'));
  const only = onlyArg ? (onlyArg.split('=')[1] ?? process.argv[process.argv.indexOf(onlyArg) + 1] ?? '').split(',') : Object.keys(SCENARIOS);
  const rows: Row[] = [];
  for (const name of only) {
    const run = SCENARIOS[name];
    if (!run) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`);
    const began = Date.now();
    process.stderr.write(`== ${name}…\n`);
    const got = await run(quick);
    rows.push(...got);
    process.stderr.write(`${table(got)}\n(${Math.round((Date.now() - began) / 1000)} s)\n`);
  }
  const out = table(rows);
  console.log(out);
  if (!quick) await recordInReadme(rows, only.length === Object.keys(SCENARIOS).length);
  if (rows.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
