import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { BUILT_WORKFLOW_BUNDLE, ensureBuilt } from './built-dist';
import { freePort } from './ports';
import { provideChromium, provideTestDatabase } from './test-deps';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string | null;
    workflowBundlePath: string;
    /** PostgreSQL for the store tests (see test-deps.ts). */
    databaseUrl: string;
    /** The Chromium executable for the Temporal Web test. */
    chromiumPath: string;
  }
}

const log = (line: string) => console.log(line);

/**
 * The dev server for a whole run (parallel starts race), and the workflow bundle the build made: the one a worker
 * runs once installed.
 */
export async function serverAndBundle(
  project: TestProject,
  dir: string,
  opts: { headless: boolean },
): Promise<() => Promise<void>> {
  ensureBuilt();
  let server: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  let uiUrl: string | null = null;
  if (!address) {
    const start = async () =>
      startDevServer({
        port: await freePort(),
        uiPort: await freePort(),
        dbFile: path.join(dir, `temporal-${Date.now()}.db`),
        headless: opts.headless,
        log,
      });
    // Once in CI the dev server died at start with a Go panic, right after the fault tier; a second start, on new
    // ports and a new file, tells a passing hiccup from a real fault (which fails again, with its message).
    server = await start().catch(async (err: Error) => {
      console.log(`The dev server failed to start (${err.message.split('\n')[0]}); starting it once more`);
      return start();
    });
    address = server.address;
    uiUrl = (await server.web?.ready) ? server.uiUrl! : null;
  }
  project.provide('temporalAddress', address);
  project.provide('temporalUiUrl', uiUrl);
  project.provide('workflowBundlePath', BUILT_WORKFLOW_BUNDLE);
  return async () => server?.stop();
}

// Integration, fault and cluster tiers: the compiled CLI, the dev server with Temporal Web, PostgreSQL and Chromium.
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-test-'));
  const database = await provideTestDatabase(log);
  const chromiumPath = await provideChromium(log);
  const stopServer = await serverAndBundle(project, dir, { headless: false });
  project.provide('databaseUrl', database.url);
  project.provide('chromiumPath', chromiumPath);

  return async () => {
    await stopServer();
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
