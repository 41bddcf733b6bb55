import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/built-dist';
import { BUNDLE_FILE, runsFromBundle, UNBUNDLED_COMMANDS } from '../../src/cli/boot/bundle';

const DIST = path.resolve(__dirname, '../../dist/cli/commands');

beforeAll(ensureBuilt, 180_000);

/** The files a command's module loads, as the built CLI loads them (dist/, built first if older than src/). */
function loadedBy(command: string): string[] {
  const script = `require(${JSON.stringify(path.join(DIST, command, `${command}.js`))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
}

// People and scripts run these in loops; each loads the Temporal client and nothing it does not use. The
// worker package (its native core) once made `status` take twice as long, and jose's index a tenth more.
describe('what a client command loads', () => {
  it.each(['status', 'refresh-token', 'start', 'list', 'pause'])(
    '%s: the Temporal client, without the worker package, all of jose, or OpenTelemetry (traces are off)',
    (command) => {
      const files = loadedBy(command);
      expect(files.some((f) => f.includes('/node_modules/@temporalio/client/'))).toBe(true);
      expect(files.filter((f) => /\/node_modules\/@temporalio\/(worker|core-bridge)\//.test(f))).toEqual([]);
      expect(files.filter((f) => f.endsWith('/node_modules/jose/dist/webapi/index.js'))).toEqual([]);
      expect(
        files.filter((f) => /\/node_modules\/(@opentelemetry|@temporalio\/interceptors-opentelemetry)\//.test(f)),
      ).toEqual([]);
    },
  );
});

// The installed CLI runs client commands from one bundle (src/cli/boot/bundle.ts): it must hold the only copy of
// the Temporal packages that such a command loads, or `instanceof` fails between two copies.
describe('the bundled CLI', () => {
  const builtBundle = BUNDLE_FILE.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}`);
  const required = () => [...readFileSync(builtBundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);

  it('leaves out only the worker package among the Temporal ones, and only the unbundled commands and the tracing SDK among its own', () => {
    expect(new Set(required().filter((r) => r.startsWith('@temporalio/')))).toEqual(new Set(['@temporalio/worker']));
    expect(new Set(required().filter((r) => r.startsWith('.')))).toEqual(
      new Set([...UNBUNDLED_COMMANDS.map((c) => `./${c}/${c}`), '../telemetry/tracing-sdk']),
    );
  });

  it('runs every command from the bundle but the unbundled ones, which load the worker package or run servers', () => {
    const argv = (...words: string[]) => ['/usr/bin/node', '/app/bin/clientsync.js', ...words];
    for (const command of ['status', 'refresh-token', 'start', 'list', 'set', 'cancel'])
      expect(runsFromBundle(argv('--debug', command, 'x'))).toBe(true);
    expect(runsFromBundle(argv())).toBe(true); // help
    for (const command of ['worker', 'server', 'demo', 'fake-api'])
      expect(runsFromBundle(argv('--debug', command, '--port', '1'))).toBe(false);
  });
});
