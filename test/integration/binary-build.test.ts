import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDirs, resolveBinary, SQLITE_PREPARE, type GoBinary } from '../../src/temporal-server/provision';

// The SQLite preparer under a name of this run's: neither cache holds it, and with the server's packages
// already compiled (global setup), its build is seconds.
const probe: GoBinary = { ...SQLITE_PREPARE, name: `lock-probe-${process.pid}`, buildId: 'lock probe' };

describe('a Go binary that two callers need at once', () => {
  afterAll(async () => {
    for (const dir of Object.values(cacheDirs()))
      for (const file of [probe.name, `${probe.name}.build`]) await rm(path.join(dir, file), { force: true });
  });

  it('is built once: the second waits for the first, says so, and takes its build', async () => {
    const lines: string[] = [];
    const [first, second] = await Promise.all([
      resolveBinary(probe, (line) => lines.push(`first: ${line}`)),
      resolveBinary(probe, (line) => lines.push(`second: ${line}`)),
    ]);
    expect(lines.filter((l) => l.includes('Building '))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('Waiting for another process on this machine that builds'))).toHaveLength(1);
    expect([first.source, second.source].sort()).toEqual(['built', 'machine-cache']);
    expect(second.path).toBe(first.path);
  }, 180_000);
});
