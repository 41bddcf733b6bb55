import { defineConfig } from 'vitest/config';

// Tiers: unit tests of pure modules and activities; the workflow with mocked activities; integration tests
// against a real Temporal dev server started by globalSetup (or the one at TEMPORAL_ADDRESS); the slow
// fault tests; the cluster proof.
export default defineConfig({
  test: {
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 20_000,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The batch workflow on the real dev server with mocked activities: its bookkeeping in seconds. Temporal's
        // time-skipping test server is a binary downloaded at run time, which this project cannot rely on.
        test: {
          name: 'workflow',
          include: ['test/workflow/**/*.test.ts'],
          // Tiers run one after another, the fastest first, each with its own number of files at once.
          sequence: { groupOrder: 1 },
          globalSetup: ['test/helpers/workflow-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          sequence: { groupOrder: 3 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          sequence: { groupOrder: 4 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 1_800_000, // the 20,000-client proof takes ~10 minutes on 2 cores
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
          sequence: { groupOrder: 2 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
