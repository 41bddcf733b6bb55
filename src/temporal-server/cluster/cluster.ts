import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serverAnswers } from '../../connection/connection';
import { prepareNamespace } from '../namespace';
import {
  DYNAMIC_CONFIG_FILE,
  resolveBinary,
  resolveServerSchemas,
  TEMPORAL_SERVER,
  TEMPORAL_SQL_TOOL,
  TEMPORAL_UI_SERVER,
  type BuildLog,
} from '../provision';
import { renderWebConfig } from '../server-config';
import { recordServer } from '../../domain/server-record';
import { supervise, type Supervised } from '../supervisor';
import { CLUSTER_SERVICES, postgresTarget, renderClusterConfig, type ClusterService } from './cluster-config';
import { ensureClusterSchemas } from './cluster-schema';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ClusterOptions {
  /** postgres://user:password@host:port/database; visibility goes to `<database>_visibility`. */
  postgresUrl: string;
  ip: string;
  port: number;
  uiPort: number;
  historyShards: number;
  /** Where the rendered configuration lives (private: it holds the database password). */
  dir: string;
  log: BuildLog;
}

export interface Cluster {
  address: string;
  uiUrl: string;
  /** Each service's supervised process, and Temporal Web's. */
  services: Record<ClusterService | 'ui', Supervised>;
  stop(): Promise<void>;
}

/** Everything the cluster runs, built once from temporal/server/go.mod. */
export async function resolveClusterBinaries(log: BuildLog) {
  const [server, sqlTool, ui] = [
    await resolveBinary(TEMPORAL_SERVER, log),
    await resolveBinary(TEMPORAL_SQL_TOOL, log),
    await resolveBinary(TEMPORAL_UI_SERVER, log),
  ];
  return { server: server.path, sqlTool: sqlTool.path, ui: ui.path, schemas: await resolveServerSchemas() };
}

/**
 * A Temporal cluster on PostgreSQL: schemas set up or upgraded, then frontend, history, matching and the
 * internal worker each in its own supervised process, Temporal Web beside them, namespace `default` and
 * the project's search attributes registered.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const bins = await resolveClusterBinaries(opts.log);
  const target = postgresTarget(opts.postgresUrl);
  await ensureClusterSchemas(bins.sqlTool, bins.schemas, target, opts.log);

  const configDir = path.join(opts.dir, 'config');
  const uiDir = path.join(opts.dir, 'ui');
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await mkdir(uiDir, { recursive: true, mode: 0o700 });
  const config = renderClusterConfig({
    postgres: target,
    ip: opts.ip,
    port: opts.port,
    historyShards: opts.historyShards,
    dynamicConfigFile: DYNAMIC_CONFIG_FILE,
  });
  await writeFile(path.join(configDir, 'cluster.yaml'), config, { mode: 0o600 });
  await writeFile(path.join(uiDir, 'base.yaml'), '', { mode: 0o600 });
  await writeFile(path.join(uiDir, 'cluster.yaml'), renderWebConfig(`${opts.ip}:${opts.port}`, opts.ip, opts.uiPort), {
    mode: 0o600,
  });

  const address = `${opts.ip}:${opts.port}`;
  const service = (name: ClusterService) =>
    supervise({
      name,
      command: bins.server,
      args: ['--root', '/', '--config', configDir, '--env', 'cluster', '--allow-no-auth', 'start', '--service', name],
      log: opts.log,
    });
  const services = Object.fromEntries(CLUSTER_SERVICES.map((name) => [name, service(name)])) as Cluster['services'];
  services.ui = supervise({
    name: 'Temporal Web',
    command: bins.ui,
    args: ['--root', '/', '--config', uiDir, '--env', 'cluster', 'start'],
    log: opts.log,
  });
  const note = recordServer(address);
  const stop = async () => {
    note.forget();
    // Frontend first, so clients see it go; then the rest together.
    await services.frontend.stop();
    await Promise.all(Object.values(services).map((s) => s.stop()));
  };
  try {
    await waitUntil(
      () => serverAnswers(address, 2000),
      180_000,
      () => `the frontend did not answer at ${address}: ${services.frontend.output().trim().slice(-600)}`,
    );
    await prepareNamespace(address);
  } catch (err) {
    await stop();
    throw err;
  }
  const uiUrl = `http://${opts.ip}:${opts.uiPort}`;
  note.ready(uiUrl);
  return { address, uiUrl, services, stop };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(why());
    await sleep(500);
  }
}
