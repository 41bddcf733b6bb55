import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The workflow code as `npm run build` bundles it for the installed worker. */
export const BUILT_WORKFLOW_BUNDLE = path.join(ROOT, 'dist', 'workflows.bundle.js');

/**
 * Builds dist/ unless it is newer than its sources (scripts/build-if-stale.mjs), so a test of the built CLI never
 * reads an old build. `npm test` builds first; `npm run test:unit` alone may not have.
 */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-if-stale.mjs')], { cwd: ROOT, stdio: 'ignore' });
}
