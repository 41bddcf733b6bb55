import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { machine, million, rateLimits, resumeLatency, scaleOut, sourceScaling, throughput, type Row } from './scenarios';

// npm run bench [-- --quick] [-- --only throughput,resume]
// Every scenario starts its own dev server, fake API and worker process, and reports ratios against a
// baseline measured in the same run: absolute times on shared machines are noise.
const SCENARIOS: Record<string, (quick: boolean) => Promise<Row[]>> = {
  throughput,
  resume: resumeLatency,
  sources: sourceScaling,
  'rate-limits': rateLimits,
  'scale-out': scaleOut,
  million: (quick) => (quick ? Promise.resolve([]) : million()),
};

function table(rows: Row[]): string {
  const lines = ['| scenario | measure | value | ratio | target | verdict |', '|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.measure} | ${r.value} | ${r.ratio ?? ''} | ${r.target ?? ''} | ${r.verdict ?? ''} |`);
  return lines.join('\n');
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
  if (!quick && only.length === Object.keys(SCENARIOS).length) {
    const readme = path.join(__dirname, 'README.md');
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(readme, 'utf8');
    const stamp = `Latest full run: ${new Date().toISOString().slice(0, 10)}, ${await machine()}.`;
    const start = text.indexOf('<!-- results -->');
    const end = text.indexOf('<!-- /results -->');
    await writeFile(readme, `${text.slice(0, start)}<!-- results -->\n${stamp}\n\n${out}\n${text.slice(end)}`);
  }
  if (rows.some((r) => r.verdict === 'FAIL')) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
