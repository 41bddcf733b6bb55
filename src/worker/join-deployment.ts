import type { Client } from '@temporalio/client';
import type { WorkflowBundle } from '@temporalio/worker';
import { adoptOrphans, makeCurrent, type Adoption, type DeploymentVersion } from './deployment';
import type { WorkerLog } from './serve';
import { logWarning } from './runtime';

/** How often a current worker looks for batches pinned to a build whose workers are gone. */
const ADOPT_EVERY_MS = 15_000;

export interface JoinOptions {
  client: Client;
  taskQueue: string;
  version: DeploymentVersion;
  bundle: WorkflowBundle;
  /** Become current and take over batches whose build's workers are gone (one machine). */
  makeCurrent: boolean;
  /** The builds whose every worker has stopped gracefully, as the results store recorded them. */
  stoppedBuilds: () => Promise<Set<string>>;
  io: WorkerLog;
}

export interface Joined {
  /** For the worker's ready line. */
  describe(): string;
  stop(): void;
}

/**
 * A new worker's place in its deployment. On one machine (the default) it becomes current: new batches start
 * on its build, running ones move to it at their next continue-as-new, and a batch pinned to a build whose
 * workers are gone (an upgrade in place) moves to it when its history replays here. On a cluster
 * (--no-make-current) the operator makes a build current once all its workers run (docs/upgrading.md).
 */
export async function joinDeployment(opts: JoinOptions): Promise<Joined> {
  const { deploymentName, buildId } = opts.version;
  if (!opts.makeCurrent) {
    return {
      describe: () => `build ${buildId} in deployment ${deploymentName}, current once an operator makes it so`,
      stop() {},
    };
  }
  try {
    await makeCurrent(opts.client, opts.version);
  } catch (err) {
    opts.io.err(`Build ${buildId} did not become current in deployment ${deploymentName}: ${(err as Error).message}`);
    return { describe: () => `build ${buildId} in deployment ${deploymentName}, not current`, stop() {} };
  }
  const seen = new Set<string>();
  let checking = false;
  let failing = false; // an outage is said once, not at every check
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      for (const a of await adoptOrphans({ ...opts, seen })) opts.io.err(adoptionLine(a, buildId));
      failing = false;
    } catch (err) {
      if (!failing)
        logWarning(
          `Could not look for batches left on older builds: ${(err as Error).message.split('\n')[0]}; trying again every 15 s`,
        );
      failing = true;
    } finally {
      checking = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), ADOPT_EVERY_MS);
  return {
    describe: () => `build ${buildId}, current in deployment ${deploymentName}`,
    stop: () => clearInterval(timer),
  };
}

function adoptionLine(a: Adoption, buildId: string): string {
  if (a.moved)
    return `Batch ${a.batchId} was pinned to build ${a.from}, which no worker runs now; its history replays on build ${buildId}, so it continues here.`;
  return (
    `Batch ${a.batchId} waits for build ${a.from}, which no worker runs now, and build ${buildId} cannot replay it (${a.why}). ` +
    `Run a worker of the release that started it until this run of the batch ends; the batch then moves to build ${buildId} by itself.`
  );
}
