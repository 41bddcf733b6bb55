import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { temporalCli } from '../helpers/temporal-cli';
import {
  resolveBinary,
  TEMPORAL_CLI_VERSION,
  TEMPORAL_SERVER,
  TEMPORAL_SERVER_VERSION,
} from '../../src/temporal-server/provision';
import { createHarness, keyOf, resultOf, type Harness } from '../helpers/harness';

describe('a batch on the real dev server', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness({ latencyMs: 2 });
  });
  afterEach(async () => h.close());

  it('calls every client exactly once and returns a summary that agrees with the ledger', async () => {
    const { path, ids } = await h.clientFile(120, { groupSize: 50 });
    const worker = await h.worker();
    const summary = await worker.runUntil(async () =>
      resultOf(await h.startBatch(path, { options: { pageSize: 25 } })),
    );
    const check = h.api.ledger.check(ids);
    expect(check).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({
      state: 'completed',
      total: 120,
      processed: 120,
      succeeded: 120,
      failed: 0,
      runs: 1,
    });
    expect(h.api.ledger.totalSuccesses).toBe(120);
    expect(await h.store.count(keyOf(summary))).toEqual({ 'in-progress': 0, succeeded: 120, failed: 0 });
  });
});

describe('the Temporal binaries the project builds', () => {
  const exec = promisify(execFile);
  let temporalBin: string;
  beforeAll(async () => {
    temporalBin = await temporalCli();
  }, 600_000);
  it('runs the pinned server release, which the pinned CLI talks to', async () => {
    const { stdout } = await exec((await resolveBinary(TEMPORAL_SERVER)).path, ['--version']);
    expect(stdout).toContain(TEMPORAL_SERVER_VERSION);
    const system = await exec(temporalBin, [
      'operator',
      'cluster',
      'system',
      '--address',
      inject('temporalAddress'),
      '--output',
      'json',
    ]);
    expect(JSON.parse(system.stdout)).toMatchObject({ serverVersion: TEMPORAL_SERVER_VERSION });
  });

  it('stamps the CLI with its release, not 0.0.0-DEV', async () => {
    const { stdout } = await exec(temporalBin, ['--version']);
    expect(stdout).toMatch(new RegExp(`^temporal version ${TEMPORAL_CLI_VERSION.replace(/\./g, '\\.')} `));
  });
});
