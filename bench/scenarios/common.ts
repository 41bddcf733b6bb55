// What every scenario shares: the result row, formatting, client files, timing a batch, reading RSS.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeSeedClientFile } from '../../src/fake-api/client-file';
import type { BatchOptionsInput } from '../../src/contract/options';
import type { BatchSummary } from '../../src/contract/progress';
import type { Stack } from '../stack';
import { timeVerbose } from '../../test/helpers/time-verbose';

export const exec = promisify(execFile);
export const ROOT = path.resolve(__dirname, '../..');
export const DATA = path.join(__dirname, '../data');

export interface Row {
  scenario: string;
  measure: string;
  value: string;
  /** Against the baseline measured in the same run. */
  ratio?: string;
  target?: string;
  verdict?: 'pass' | 'FAIL';
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A seed-format file of n clients under bench/data (not committed), made once and reused. */
export async function clientFile(n: number): Promise<string> {
  await mkdir(DATA, { recursive: true });
  const file = path.join(DATA, `clients-${n}.json`);
  if (!(await stat(file).catch(() => undefined))) await writeSeedClientFile(file, n, { groupSize: 1000 });
  return file;
}

export async function timeBatch(
  s: Stack,
  file: string,
  taskQueue: string,
  total: number,
  options: BatchOptionsInput,
): Promise<{ rate: number; summary: BatchSummary }> {
  const began = Date.now();
  const handle = await s.startBatch(file, taskQueue, { total, options });
  const summary = (await handle.result()) as BatchSummary;
  return { rate: total / ((Date.now() - began) / 1000), summary };
}

/**
 * A batch as a user runs it: `clientsync start` (the installed command, validating the file) until the batch has
 * completed; the rate counts from the moment the command started.
 */
export async function timeCliBatch(
  s: Stack,
  file: string,
  taskQueue: string,
  flags: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ rate: number; summary: BatchSummary }> {
  const id = `bench-cli-${randomUUID().slice(0, 8)}`;
  const began = Date.now();
  const args = [
    'start',
    '--clients',
    file,
    '--id',
    id,
    '--api-url',
    s.api.baseUrl,
    '--task-queue',
    taskQueue,
    ...flags,
  ];
  await exec(process.execPath, [path.join(ROOT, 'bin/clientsync.js'), ...args], {
    env: { ...process.env, ...s.env, API_TOKEN: s.token, ...extraEnv },
  });
  const summary = (await s.client.workflow.getHandle(id).result()) as BatchSummary;
  return { rate: summary.processed / ((Date.now() - began) / 1000), summary };
}

/** Events in each run of a batch (from describe: a large run's history can exceed one gRPC message). */
export async function historyEvents(s: Stack, batchId: string): Promise<number[]> {
  const out: number[] = [];
  for await (const wf of s.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) {
    out.push((await s.client.workflow.getHandle(batchId, wf.runId).describe()).historyLength);
  }
  return out;
}

export async function peakRss(args: string[]): Promise<{ kb: number; seconds: number }> {
  const { stderr } = await exec('/usr/bin/time', ['-v', process.execPath, ...args], { maxBuffer: 16 * 1024 * 1024 });
  const { peakRssKb, seconds } = timeVerbose(stderr);
  return { kb: peakRssKb ?? NaN, seconds: seconds ?? NaN };
}

export async function machine(): Promise<string> {
  const cpu = (await readFile('/proc/cpuinfo', 'utf8')).match(/model name\s*:\s*(.+)/)?.[1] ?? 'unknown CPU';
  const { cpus, totalmem } = await import('node:os');
  return `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
