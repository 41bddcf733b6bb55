import path from 'node:path';
import { UserError } from '../../../contract/errors';
import { stateDir } from '../../../domain/paths';
import { resolveClusterBinaries, startCluster } from '../../../temporal-server/cluster/cluster';
import { postgresTarget, servicePorts } from '../../../temporal-server/cluster/cluster-config';
import { startDevServer } from '../../../temporal-server/dev-server';
import { serverAnswers } from '../../../connection/connection';
import {
  resolveBinary,
  SQLITE_PREPARE,
  TEMPORAL_CLI,
  TEMPORAL_CLI_VERSION,
  TEMPORAL_SERVER,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_SERVER,
  TEMPORAL_UI_VERSION,
  type BuildLog,
} from '../../../temporal-server/provision';
import { buildLog, untilSignal, type CliIO } from '../../io';

export interface ServerOptions {
  port: number;
  uiPort: number;
  db?: string;
  /** A Temporal cluster on this PostgreSQL instead of the SQLite dev server. */
  postgres?: string;
  /** Address the cluster binds and advertises (default 127.0.0.1). */
  ip?: string;
  historyShards?: number;
  /** Only build or find the binaries, then exit (used by .ci/run). */
  installOnly?: boolean;
  /** With installOnly: the Temporal CLI too, for operator commands (docs/upgrading.md). */
  cli?: boolean;
}

/**
 * Four history shards: shards bound how many workflow tasks history runs at once, and the number can never
 * change for a cluster's database. Four keep a 2-core machine's history service light; a production cluster
 * sized for many hosts picks more (512 and up) at its first start.
 */
export const DEFAULT_HISTORY_SHARDS = 4;

/**
 * `clientsync server`: the Temporal dev server on a SQLite file, so batches survive a restart; with
 * `--postgres URL`, a cluster on PostgreSQL with each service in its own process.
 */
export async function server(
  opts: ServerOptions,
  io: CliIO,
  stopWhen: Promise<unknown> = untilSignal(),
): Promise<void> {
  if (opts.postgres) {
    try {
      postgresTarget(opts.postgres);
      servicePorts(opts.port);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  }
  if (opts.cli && !opts.installOnly)
    throw new UserError('--cli goes with --install-only: `clientsync server --install-only --cli`');
  const log = buildLog(io, io.err);
  if (opts.installOnly) return installOnly(opts, io, log);
  const address = `${opts.ip ?? '127.0.0.1'}:${opts.port}`;
  if (await serverAnswers(address)) {
    io.out(`A Temporal server already answers at ${address}; not starting a second one.`);
    return;
  }
  if (opts.postgres) return cluster(opts, io, stopWhen);
  const dbFile = opts.db ?? path.join(stateDir(), 'temporal.db');
  const dev = await startDevServer({ port: opts.port, uiPort: opts.uiPort, dbFile, log });
  const web = (await isReady(dev.web?.ready)) ? dev.uiUrl : `${dev.uiUrl} (once built)`;
  io.out(
    `Temporal dev server ready: gRPC ${dev.address}, Temporal Web ${web}, ` +
      `database ${path.resolve(dbFile)} (${dev.runs})`,
  );
  io.out('Press Ctrl-C to stop.');
  const gone = dev.child.exitCode !== null || dev.child.signalCode !== null; // while Web was awaited
  const byItself = await Promise.race([
    stopWhen.then(() => false),
    gone ? Promise.resolve(true) : new Promise<boolean>((r) => dev.child.once('exit', () => r(true))),
  ]);
  await dev.stop();
  if (byItself) throw new Error(`the Temporal server stopped by itself: ${dev.lastWords()}`);
  io.out('Temporal dev server stopped.');
}

/** Builds (or finds) the binaries and says where they are: the dev server's or the cluster's, and the CLI's. */
async function installOnly(opts: ServerOptions, io: CliIO, log: BuildLog): Promise<void> {
  if (opts.postgres) {
    const bins = await resolveClusterBinaries(log);
    io.out(`cluster binaries: ${bins.server}, ${bins.sqlTool}, ${bins.ui}; schemas ${bins.schemas}`);
  } else {
    const bins = [
      await resolveBinary(TEMPORAL_SERVER, log),
      await resolveBinary(SQLITE_PREPARE, log),
      await resolveBinary(TEMPORAL_UI_SERVER, log),
    ];
    io.out(`dev server binaries: ${bins.map((b) => `${b.path} (${b.source})`).join(', ')}`);
  }
  if (opts.cli) io.out(`Temporal CLI v${TEMPORAL_CLI_VERSION}: ${(await resolveBinary(TEMPORAL_CLI, log)).path}`);
}

/** Whether Temporal Web answers already, or soon: a server never waits for Web's first build. */
async function isReady(ready: Promise<boolean> | undefined): Promise<boolean> {
  return Promise.race([
    ready ?? Promise.resolve(false),
    new Promise<boolean>((r) => setTimeout(() => r(false), 3000).unref()),
  ]);
}

async function cluster(opts: ServerOptions, io: CliIO, stopWhen: Promise<unknown>): Promise<void> {
  const target = postgresTarget(opts.postgres!);
  const c = await startCluster({
    postgresUrl: opts.postgres!,
    ip: opts.ip ?? '127.0.0.1',
    port: opts.port,
    uiPort: opts.uiPort,
    historyShards: opts.historyShards ?? DEFAULT_HISTORY_SHARDS,
    dir: path.join(stateDir(), 'cluster', `${target.host}-${target.port}-${target.database}`),
    log: buildLog(io, io.err),
  });
  io.out(
    `Temporal cluster ready: gRPC ${c.address}, Temporal Web ${c.uiUrl}, ` +
      `PostgreSQL ${target.host}:${target.port}/${target.database} (+ ${target.database}_visibility); ` +
      `frontend, history, matching and worker each in its own process (server v${TEMPORAL_SERVER_VERSION}, Web v${TEMPORAL_UI_VERSION})`,
  );
  io.out('Press Ctrl-C to stop.');
  await stopWhen;
  await c.stop();
  io.out('Temporal cluster stopped.');
}
