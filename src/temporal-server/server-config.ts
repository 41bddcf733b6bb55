// The Temporal server's configuration file, for the dev server on SQLite (all services in one process) and
// for the cluster on PostgreSQL (one process per service, all reading the same file). Pure: it renders text.

/** The four services of a Temporal server. */
export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

export type ServicePorts = Record<ServiceName, { grpc: number; membership: number; http?: number }>;

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Persistence database; visibility lives in `<database>_visibility`. */
  database: string;
}

export type ServerStore =
  { kind: 'postgres'; target: PostgresTarget } | { kind: 'sqlite'; file: string; pragmas: Record<string, string> };

export interface ServerSettings {
  store: ServerStore;
  /** Address the services bind and advertise. */
  ip: string;
  ports: ServicePorts;
  historyShards: number;
  dynamicConfigFile: string;
}

const quote = (s: string) => JSON.stringify(s); // a YAML double-quoted scalar is a JSON string

function postgresStore(pg: PostgresTarget, database: string, maxConns: number): string {
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

// One connection, as the Temporal CLI's dev server keeps: SQLite has one writer, and the file is shared by
// persistence and visibility. sqlite-prepare has set up its schema before the server starts.
function sqliteStore(file: string, pragmas: Record<string, string>): string {
  const attributes = { cache: 'private', ...pragmas };
  return `      sql:
        pluginName: "sqlite"
        databaseName: ${quote(file)}
        connectAddr: "localhost"
        connectProtocol: "tcp"
        connectAttributes:
${Object.entries(attributes)
  .map(([k, v]) => `          ${k}: ${quote(v)}`)
  .join('\n')}
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: "1h"`;
}

function datastores(store: ServerStore): string {
  if (store.kind === 'sqlite')
    return `    default:\n${sqliteStore(store.file, store.pragmas)}\n    visibility:\n${sqliteStore(store.file, store.pragmas)}`;
  const pg = store.target;
  return `    default:\n${postgresStore(pg, pg.database, 20)}\n    visibility:\n${postgresStore(pg, `${pg.database}_visibility`, 4)}`;
}

/**
 * The server config (as Temporal's development-sqlite-file.yaml and development-postgres12.yaml, with names, addresses
 * and ports set).
 */
export function renderServerConfig(s: ServerSettings): string {
  const service = (name: ServiceName) => {
    const p = s.ports[name];
    return `  ${name}:
    rpc:
      grpcPort: ${p.grpc}
      membershipPort: ${p.membership}
      bindOnIP: ${quote(s.ip)}${p.http ? `\n      httpPort: ${p.http}` : ''}`;
  };
  return `log:
  stdout: true
  level: warn

persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${s.historyShards}
  datastores:
${datastores(s.store)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${quote(s.ip)}

services:
${SERVICES.map(service).join('\n')}

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
      rpcAddress: ${quote(`${s.ip}:${s.ports.frontend.grpc}`)}

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: ${quote(s.dynamicConfigFile)}
  pollInterval: "10s"
`;
}

/** Temporal Web's config, for a server at `grpcAddress`. */
export function renderWebConfig(grpcAddress: string, ip: string, port: number): string {
  return `temporalGrpcAddress: ${grpcAddress}
host: ${ip}
port: ${port}
publicPath:
enableUi: true
defaultNamespace: default
cors:
  cookieInsecure: true
  unsafeAllowAllOrigins: false
`;
}
