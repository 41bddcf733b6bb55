import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../src/temporal-server/dev-server';
import { resolveTemporalBinary } from '../../src/temporal-server/provision';
import { freePort } from './ports';
import { provideChromium, provideTestDatabase } from './test-deps';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string | null;
    temporalBin: string;
    workflowBundlePath: string;
    /** PostgreSQL for the store tests (see test-deps.ts). */
    databaseUrl: string;
    /** The Chromium executable for the Temporal Web test. */
    chromiumPath: string;
  }
}

// One dev server for the whole run (parallel createLocal() calls race), and one workflow bundle,
// so no test pays for webpack again.
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-test-'));
  const binary = await resolveTemporalBinary((line) => console.log(line));
  const database = await provideTestDatabase((line) => console.log(line));
  const chromiumPath = await provideChromium((line) => console.log(line));
  let server: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  let uiUrl: string | null = null;
  if (!address) {
    const start = async () => startDevServer({ port: await freePort(), uiPort: await freePort(), dbFile: path.join(dir, `temporal-${Date.now()}.db`) });
    // Once in CI the dev server died at start with a Go panic, right after the fault tier; a second start, on new
    // ports and a new file, tells a passing hiccup from a real fault (which fails again, with its message).
    server = await start().catch(async (err: Error) => {
      console.log(`The dev server failed to start (${err.message.split('\n')[0]}); starting it once more`);
      return start();
    });
    address = server.address;
    uiUrl = server.uiUrl ?? null;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../src/workflows'),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  await writeFile(bundlePath, code);

  project.provide('temporalAddress', address);
  project.provide('temporalUiUrl', uiUrl);
  project.provide('temporalBin', binary.path);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('databaseUrl', database.url);
  project.provide('chromiumPath', chromiumPath);

  return async () => {
    await server?.stop();
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
