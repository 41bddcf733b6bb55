import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first, as vitest printed their durations on 2 cores: scenarios that wait
 * out token lifetimes, long polls and workers' starts, and the browser tests. Refresh it from a run's durations
 * when a file joins or leaves the top; a stale list makes a fresh clone's run slower, never wrong.
 */
export const LONGEST_FILES = [
  'test/integration/console.test.ts',
  'test/integration/upgrade-killed.test.ts',
  'test/integration/docs-examples.test.ts',
  'test/integration/token-expiry.test.ts',
  'test/integration/upgrade.test.ts',
  'test/integration/replay.test.ts',
  'test/integration/token-expiry-runs.test.ts',
  'test/integration/worker-crash.test.ts',
  'test/integration/worker-crash-local-calls.test.ts',
  'test/integration/auto-refresh.test.ts',
  'test/integration/upgrade-stranded.test.ts',
  'test/workflow/batch-workflow.test.ts',
  'test/integration/auto-refresh-revoked.test.ts',
  'test/integration/signals.test.ts',
];

/**
 * With durations on record from an earlier run, vitest starts the slowest files first. A fresh clone has none, and
 * vitest then starts the largest files first: short files that wait long started last and ended the run minutes
 * after the rest. Without a record, this starts the files above first, in their order, and the rest as vitest would.
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const relativeOf = (f: TestSpecification) => path.relative(root, f.moduleId);
    const onRecord = files.some((f) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relativeOf(f)}`));
    if (onRecord) return sorted;
    const rank = (f: TestSpecification) => {
      const at = LONGEST_FILES.indexOf(relativeOf(f));
      return at === -1 ? LONGEST_FILES.length : at;
    };
    const group = (f: TestSpecification) => f.project.config.sequence.groupOrder;
    return sorted.sort((a, b) => group(a) - group(b) || rank(a) - rank(b));
  }
}
