import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { serverAndBundle } from './global-setup';

// The workflow tier: the Temporal server (headless) and the bundle only; its activities are mocked, so it needs
// no PostgreSQL, Chromium or Temporal CLI.
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-workflow-'));
  const stopServer = await serverAndBundle(project, dir, { headless: true });
  return async () => {
    await stopServer();
    await rm(dir, { recursive: true, force: true });
  };
}
