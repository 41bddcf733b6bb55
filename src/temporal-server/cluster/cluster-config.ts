// The Temporal server's configuration for a cluster on PostgreSQL: one file that every service process reads
// (each starts only its own service). Pure: it renders text from the settings.

/** The four services of a Temporal cluster, each run as its own process. */
export const CLUSTER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ClusterService = (typeof CLUSTER_SERVICES)[number];

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Persistence database; visibility lives in `<database>_visibility`. */
  database: string;
}

export interface ClusterSettings {
  postgres: PostgresTarget;
  /** Address the services bind and advertise (other hosts reach the frontend here). */
  ip: string;
  /** Frontend gRPC port; the other services take the ports after it (see servicePorts). */
  port: number;
  historyShards: number;
  dynamicConfigFile: string;
}

/** Temporal keeps service ports in a smallint column (cluster_membership), so every port must be below 32768. */
export const MAX_FRONTEND_PORT = 32767 - 106;

/** Each service's gRPC and membership ports, laid out from the frontend's so one setting moves them all. */
export function servicePorts(port: number): Record<ClusterService, { grpc: number; membership: number; http?: number }> {
  if (port > MAX_FRONTEND_PORT) {
    throw new Error(
      `--port ${port} is too high for a cluster: Temporal stores service ports as 16-bit signed numbers; pick one up to ${MAX_FRONTEND_PORT} (the services use it to +106)`,
    );
  }
  return {
    frontend: { grpc: port, membership: port + 100, http: port + 10 },
    history: { grpc: port + 1, membership: port + 101 },
    matching: { grpc: port + 2, membership: port + 102 },
    worker: { grpc: port + 6, membership: port + 106 },
  };
}

/** Parses postgres://user:pass@host:port/db into what the server's SQL plugin needs. */
export function postgresTarget(url: string): PostgresTarget {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`--postgres takes a postgres:// URL, not ${u.protocol}//…`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!database) throw new Error('--postgres needs a database name in the URL, e.g. postgres://user@host:5432/temporal');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port) || 5432,
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
    database,
  };
}

const quote = (s: string) => JSON.stringify(s); // a YAML double-quoted scalar is a JSON string

function datastore(pg: PostgresTarget, database: string, maxConns: number): string {
  return `      sql:
        pluginName: "postgres12"
        databaseName: ${quote(database)}
        connectAddr: ${quote(`${pg.host}:${pg.port}`)}
        connectProtocol: "tcp"
        user: ${quote(pg.user)}
        password: ${quote(pg.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

/** The server config (as Temporal's development-postgres12.yaml, with the names, addresses and ports set). */
export function renderClusterConfig(s: ClusterSettings): string {
  const ports = servicePorts(s.port);
  const service = (name: ClusterService) => `  ${name}:
    rpc:
      grpcPort: ${ports[name].grpc}
      membershipPort: ${ports[name].membership}
      bindOnIP: ${quote(s.ip)}${ports[name].http ? `\n      httpPort: ${ports[name].http}` : ''}`;
  return `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${s.historyShards}
  datastores:
    postgres-default:
${datastore(s.postgres, s.postgres.database, 20)}
    postgres-visibility:
${datastore(s.postgres, `${s.postgres.database}_visibility`, 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${quote(s.ip)}

services:
${CLUSTER_SERVICES.map(service).join('\n')}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${quote(`${s.ip}:${s.port}`)}

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: ${quote(s.dynamicConfigFile)}
  pollInterval: "10s"
`;
}
