import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The workflow code as `npm run build` bundles it for the installed worker. */
export const BUILT_WORKFLOW_BUNDLE = path.join(ROOT, 'dist', 'workflows.bundle.js');

/** The newest modification time among the files under `dir`. */
function newest(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce(
    (latest, f) => Math.max(latest, statSync(path.join(dir, f)).mtimeMs),
    0,
  );
}

/**
 * Builds dist/ (`npm run build`) unless it is newer than every source file, so a test of the built CLI never
 * reads an old build. `npm test` builds first; `npm run test:unit` alone may not have.
 */
export function ensureBuilt(): void {
  const bundle = path.join(ROOT, 'dist', 'cli', 'main.bundle.js');
  let builtAt = 0;
  try {
    builtAt = statSync(bundle).mtimeMs;
  } catch {
    // never built
  }
  if (builtAt > newest(path.join(ROOT, 'src'))) return;
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
}
