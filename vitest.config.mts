import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first, as vitest printed their durations on 2 cores: scenarios that wait
 * out token lifetimes, long polls and workers' starts, and the browser tests. Refresh it from a run's durations
 * when a file joins or leaves the top; a stale list makes a fresh clone's run slower, never wrong.
 */
const LONGEST_FILES = [
  'test/integration/console.test.ts',
  'test/integration/upgrade-killed.test.ts',
  'test/workflow/batch-workflow.test.ts',
  'test/integration/upgrade.test.ts',
  'test/integration/token-expiry.test.ts',
  'test/integration/docs-examples.test.ts',
  'test/integration/upgrade-stranded.test.ts',
  'test/integration/signals.test.ts',
  'test/integration/token-expiry-runs.test.ts',
  'test/integration/metrics.test.ts',
  'test/integration/auto-refresh.test.ts',
  'test/integration/worker-crash-local-calls.test.ts',
  'test/integration/worker-crash.test.ts',
  'test/integration/request-templates.test.ts',
];

/**
 * The longest files first, so that none starts last and ends the run minutes after the rest. Vitest orders files by
 * the durations of the last run, project by project, and files with none by size: on a fresh clone the slow
 * scenarios, short files, started last. Here a file with no duration on record that the list names comes first, in
 * the list's order; then the files with a duration, longest first, whatever their project; then the rest as vitest
 * would order them.
 */
class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byVitest = await super.sort(files);
    const key = (f: TestSpecification): [number, number, number] => {
      const file = path.relative(this.ctx.config.root, f.moduleId).split(path.sep).join('/');
      const group = f.project.config.sequence.groupOrder;
      const duration = this.ctx.cache.getFileTestResults(`${f.project.name}:${file}`)?.duration;
      const listed = LONGEST_FILES.indexOf(file);
      if (duration === undefined && listed !== -1) return [group, 0, listed];
      if (duration !== undefined) return [group, 1, -duration];
      return [group, 2, byVitest.indexOf(f)];
    };
    const keys = new Map(byVitest.map((f) => [f, key(f)]));
    return byVitest.sort((a, b) => {
      const [x, y] = [keys.get(a)!, keys.get(b)!];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
  }
}

// Tiers: unit tests of pure modules and activities; the workflow with mocked activities; integration tests
// against a real Temporal dev server started by globalSetup (or the one at TEMPORAL_ADDRESS); the slow
// fault tests; the cluster proof, with what needs the Temporal CLI.
export default defineConfig({
  test: {
    pool: 'forks',
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Files share a fork's loaded modules (a third of the tier's CPU saved): none depends on fresh module state.
          isolate: false,
          testTimeout: 20_000,
          maxWorkers: 4, // npm test's three tiers run as one group, which shares the number of files at once
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The batch workflow on the real dev server with mocked activities: its bookkeeping in seconds. Temporal's
        // time-skipping test server is a binary downloaded at run time, which this project cannot rely on.
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          // Tiers of one group order run together and share maxWorkers: this one, mostly waiting on the server,
          // runs beside the unit tier, which mostly computes, and the integration tier.
          maxWorkers: 4,
          sequence: { groupOrder: 0 },
          globalSetup: ['test/helpers/workflow-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The pace's rate behind a real rate limiter, alone, before the faults: a rate measured beside other scenarios
        // measures them too.
        test: {
          name: 'rate',
          include: ['test/rate/**/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          // Most of a fault test is an outage waited out (three of them last 3 minutes): three files at once.
          maxWorkers: 3,
          sequence: { groupOrder: 3 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The longest scenarios, which a faster test in npm test already proves, after the faults: they compute. The
        // seed-format fuzz runs 1,000 documents a property in the unit tier, and 10,000 here.
        test: {
          name: 'long',
          include: ['test/long/**/*.test.ts', 'test/unit/seed-json.fuzz.test.ts'],
          env: { FUZZ_RUNS: process.env.FUZZ_RUNS ?? '10000' },
          maxWorkers: 2,
          sequence: { groupOrder: 4 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          sequence: { groupOrder: 5 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 1_800_000, // the 8,000-client proof takes 3 to 4 minutes on 2 cores
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Most of an integration test is waiting (on servers, timers, a worker's start), so four files run
          // side by side on two cores; no test may depend on a quiet machine's timing.
          maxWorkers: 4,
          sequence: { groupOrder: 0 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
