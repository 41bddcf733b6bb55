import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer';

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
        test: {
          name: 'faults',
          // The seed-format fuzz runs 1,000 documents a property in the unit tier, and 10,000 here.
          include: ['test/faults/**/*.test.ts', 'test/unit/seed-json.fuzz.test.ts'],
          env: { FUZZ_RUNS: '10000' },
          // Most of a fault test is an outage waited out (three of them last 3 minutes): three files at once.
          maxWorkers: 3,
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
          sequence: { groupOrder: 0 },
          globalSetup: ['test/helpers/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
