import { spawn } from 'node:child_process';
import path from 'node:path';
import { progressQuery } from '../../src/contract/messages';
import type { BatchProgress } from '../../src/contract/progress';
import { startStack, type Stack } from '../stack';
import { type Row, ROOT, fmt, median, clientFile } from './common';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs the built CLI as a user does (bin/clientsync.js); resolves when it exits, with its wall time in ms. */
async function cli(s: Stack, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; out: string }> {
  const began = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/clientsync.js'), ...args], {
    env: { ...process.env, ...s.env, API_TOKEN: s.token, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`clientsync ${args[0]} exited ${code}: ${out}`);
  return { ms: performance.now() - began, out };
}

/** The first success the API recorded at or after `since` (epoch ms), waiting for it. */
async function firstCallAfter(s: Stack, since: number): Promise<number> {
  for (;;) {
    const first = (await s.api.ledger()).successTimes.find((t) => t >= since);
    if (first !== undefined) return first;
    await sleep(5);
  }
}

async function waitFor(s: Stack, id: string, done: (p: BatchProgress) => boolean): Promise<void> {
  const handle = s.client.workflow.getHandle(id);
  while (!done(await handle.query(progressQuery))) await sleep(20);
}

/**
 * A person's commands as they meet them, each a whole process from spawn to exit (bin/clientsync.js, as a
 * shell runs it): `start` to the first API call on a 10,000-client file, `refresh-token` to the batch's next
 * call, `status --json`, `list --json`, and `--version` (node and the CLI's load, nothing else).
 */
export async function commands(quick: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const scenario = 'commands (built CLI, 0 ms API)';
  const times = quick ? 3 : 7;
  const s = await startStack({ latencyMs: 0, expireAfter: 400 });
  try {
    await s.startWorker('tq');
    const file = await clientFile(10_000);
    const toFirstCall: number[] = [];
    const toWorkflow: number[] = [];
    let lastId = '';
    for (let i = 0; i < times; i++) {
      lastId = `bench-start-${Date.now()}`;
      const token = await s.api.issueToken(); // each lasts 400 calls
      const began = Date.now();
      await cli(
        s,
        [
          'start',
          '--clients',
          file,
          '--id',
          lastId,
          '--api-url',
          s.api.baseUrl,
          '--task-queue',
          'tq',
          '--concurrency',
          '8',
        ],
        { API_TOKEN: token },
      );
      const startedAt = (await s.client.workflow.getHandle(lastId).describe()).startTime.getTime();
      toWorkflow.push(startedAt - began);
      toFirstCall.push((await firstCallAfter(s, began)) - began);
      await waitFor(s, lastId, (p) => p.state === 'waiting-for-token');
      await cli(s, ['cancel', lastId]);
    }
    const m = median(toFirstCall);
    rows.push({
      scenario,
      measure: `start → first API call, 10,000 clients, median of ${times} (of which command start, validation and workflow start: ${median(toWorkflow)} ms)`,
      value: `${m} ms`,
      target: '< 1500 ms',
      verdict: m < 1500 ? 'pass' : 'FAIL',
    });

    // A batch that waits for a token (the API's tokens expire after 400 calls), refreshed by a person each time.
    const id = `bench-refresh-${Date.now()}`;
    const flags = ['--api-url', s.api.baseUrl, '--task-queue', 'tq', '--concurrency', '8', '--no-auto-refresh'];
    await cli(s, ['start', '--clients', file, '--id', id, ...flags], { API_TOKEN: await s.api.issueToken() });
    const refresh: number[] = [];
    const command: number[] = [];
    const status: number[] = [];
    const list: number[] = [];
    const version: number[] = [];
    for (let i = 0; i < times; i++) {
      await waitFor(s, id, (p) => p.state === 'waiting-for-token' && p.inFlight === 0);
      // status while the batch waits: the worker is idle, so this is the command's own time.
      status.push((await cli(s, ['status', id, '--json'])).ms);
      list.push((await cli(s, ['list', '--json'])).ms);
      version.push((await cli(s, ['--version'])).ms);
      const token = await s.api.issueToken();
      const began = Date.now();
      command.push((await cli(s, ['refresh-token', id], { API_TOKEN: token })).ms);
      refresh.push((await firstCallAfter(s, began)) - began);
    }
    const r = median(refresh);
    rows.push({
      scenario,
      measure: `refresh-token → the batch's next API call, median of ${times} (the command itself: ${fmt(median(command), 0)} ms)`,
      value: `${r} ms`,
      target: '< 300 ms',
      verdict: r < 300 ? 'pass' : 'FAIL',
    });
    const load = median(version);
    for (const [name, ms] of [
      ['status --json', median(status)],
      ['list --json', median(list)],
    ] as const) {
      rows.push({
        scenario,
        measure: `${name}, median of ${times} (of which node and the CLI's load, as --version: ${fmt(load, 0)} ms)`,
        value: `${fmt(ms, 0)} ms`,
        target: '< 300 ms',
        verdict: ms < 300 ? 'pass' : 'FAIL',
      });
    }
    await cli(s, ['cancel', id]);
  } finally {
    await s.close();
  }
  return rows;
}
