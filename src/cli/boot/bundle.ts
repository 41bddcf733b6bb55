import { existsSync } from 'node:fs';
import path from 'node:path';
import { machineCacheDir } from '../../domain/paths';
import { requireWithCodeCache } from './code-cache';
import { commandName } from './command-line';

/**
 * Commands that run from dist/cli/main.js and stay outside the bundle (scripts/bundle-cli.mjs). The
 * worker package loads the installed @temporalio/common, and a second, bundled copy beside it breaks
 * `instanceof` between the two; the others run servers for hours, where start-up time does not count.
 */
export const UNBUNDLED_COMMANDS = ['server', 'worker', 'demo', 'fake-api', 'console'];

/** The CLI with the Temporal client in one file, built by `npm run build`, for the commands people run in loops. */
export const BUNDLE_FILE = path.join(__dirname, '..', 'main.bundle.js');

/** Whether this command line runs from the bundle: every command but the unbundled ones, help included. */
export function runsFromBundle(argv: readonly string[]): boolean {
  const command = commandName(argv);
  return !(command && UNBUNDLED_COMMANDS.includes(command));
}

/**
 * The CLI's main module for this command line: the bundle through V8's code cache, else dist/cli/main.js (also when a
 * bare `tsc` built no bundle).
 */
export async function loadMain(argv: readonly string[]): Promise<typeof import('../main')> {
  if (!runsFromBundle(argv) || !existsSync(BUNDLE_FILE)) return import('../main');
  return requireWithCodeCache(BUNDLE_FILE, path.join(machineCacheDir(), 'code-cache'))
    .exports as typeof import('../main');
}
