import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(__dirname, '../../dist/cli/commands');

/** The files a command's module loads, as the built CLI loads them (dist/, made by `npm test`'s pretest). */
function loadedBy(command: string): string[] {
  const script = `require(${JSON.stringify(path.join(DIST, `${command}.js`))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

// People and scripts run these in loops; each loads the Temporal client and nothing it does not use. The
// worker package (its native core) once made `status` take twice as long, and jose's index a tenth more.
describe('what a client command loads', () => {
  it.each(['status', 'refresh-token', 'start', 'list', 'pause'])('%s: the Temporal client, without the worker package or all of jose', (command) => {
    const files = loadedBy(command);
    expect(files.some((f) => f.includes('/node_modules/@temporalio/client/'))).toBe(true);
    expect(files.filter((f) => /\/node_modules\/@temporalio\/(worker|core-bridge)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('/node_modules/jose/dist/webapi/index.js'))).toEqual([]);
  });
});
