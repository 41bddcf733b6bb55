import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_READY } from '../../src/cli/commands/worker/worker';
import { spawnInstalled, untilOutput, type CliProcess } from '../helpers/cli-process';
import { createHarness, resultOf, type Harness } from '../helpers/harness';
import { setTimeout as sleep } from 'node:timers/promises';

const exec = promisify(execFile);

// `npx clientsync worker` as a user starts it, without NODE_OPTIONS: the worker bounds its own heap (a
// capped child of the command), and the command's signals and fate are the worker's.
let h: Harness;
beforeAll(async () => (h = await createHarness({ latencyMs: 1 })));
afterAll(async () => h.close());

/** The pids whose parent is `pid`. */
async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await exec('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** Whether `pid` runs (a zombie waiting for a reaper that may never come, as PID 1 in a container, does not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function installedWorker(nodeOptions = ''): Promise<CliProcess> {
  return untilOutput(
    spawnInstalled(h, ['worker', '--task-queue', h.taskQueue], { NODE_OPTIONS: nodeOptions }),
    WORKER_READY,
  );
}

const heapLimit = (p: CliProcess) => Number(/heap limit (\d+) MB/.exec(p.output())?.[1]);

describe('clientsync worker as installed', () => {
  it('caps its own heap, runs a batch, and stops on SIGTERM with its capped process', async () => {
    const p = await installedWorker();
    expect(heapLimit(p)).toBeGreaterThanOrEqual(256);
    expect(heapLimit(p)).toBeLessThan(400); // uncapped, V8's limit on this machine is several GB
    const [capped] = await childrenOf(p.child.pid!);
    expect(capped).toBeDefined();
    const { path: file, ids } = await h.clientFile(60);
    expect(await resultOf(await h.startBatch(file))).toMatchObject({ state: 'completed', succeeded: 60 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('clientsync worker stopped.');
    expect(alive(capped!)).toBe(false);
  });

  it('dies with the command when that is SIGKILLed', async () => {
    const p = await installedWorker();
    const [capped] = await childrenOf(p.child.pid!);
    p.child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (alive(capped!) && Date.now() < deadline) await sleep(50);
    expect(alive(capped!)).toBe(false);
  });

  it('keeps a cap the user set, in one process', async () => {
    const p = await installedWorker('--max-old-space-size=128');
    expect(heapLimit(p)).toBeLessThan(256);
    expect(await childrenOf(p.child.pid!)).toEqual([]);
  });
});
