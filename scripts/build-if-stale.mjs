// Runs `npm run build` unless dist/ is newer than everything it is made from: the test scripts then do not build
// again what `npm install` or the last build made. Run by `npm test`, `test:faults`, `test:cluster` and the test tiers'
// setup (test/helpers/built-dist.ts).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
// The build writes the workflow bundle last: a build that failed there leaves the CLI's bundle new.
const OUTPUTS = ['dist/cli/main.bundle.js', 'dist/workflows.bundle.js'];

/** The newest modification time of a file, or of the files under a folder. */
function newest(file) {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(file, { recursive: true, encoding: 'utf8' }).reduce(
    (latest, f) => Math.max(latest, statSync(path.join(file, f)).mtimeMs),
    0,
  );
}

/** When the last build ended, or 0 if one of its outputs is missing. */
function builtAt() {
  try {
    return Math.min(...OUTPUTS.map((f) => statSync(path.join(ROOT, f)).mtimeMs));
  } catch {
    return 0;
  }
}

if (builtAt() > Math.max(...INPUTS.map((f) => newest(path.join(ROOT, f))))) {
  process.stdout.write('dist/ is newer than its sources: not building it again\n');
} else {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
