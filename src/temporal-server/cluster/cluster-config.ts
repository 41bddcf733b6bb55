// The cluster's settings: PostgreSQL from a URL, and each service's ports laid out from the frontend's.
import {
  renderServerConfig,
  SERVICES,
  type PostgresTarget,
  type ServiceName,
  type ServicePorts,
} from '../server-config';

export type { PostgresTarget };
/** The four services of a Temporal cluster, each run as its own process. */
export const CLUSTER_SERVICES = SERVICES;
export type ClusterService = ServiceName;

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
export function servicePorts(port: number): ServicePorts {
  if (port > MAX_FRONTEND_PORT) {
    throw new Error(
      `--port ${port} is too high for a cluster: Temporal stores service ports as 16-bit signed numbers; ` +
        `pick one up to ${MAX_FRONTEND_PORT} (the services use it to +106)`,
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
  if (!database)
    throw new Error('--postgres needs a database name in the URL, e.g. postgres://user@host:5432/temporal');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port) || 5432,
    user: decodeURIComponent(u.username) || 'postgres',
    password: decodeURIComponent(u.password),
    database,
  };
}

/** The server config for a cluster: each service reads it and starts only its own. */
export function renderClusterConfig(s: ClusterSettings): string {
  return renderServerConfig({
    store: { kind: 'postgres', target: s.postgres },
    ip: s.ip,
    ports: servicePorts(s.port),
    historyShards: s.historyShards,
    dynamicConfigFile: s.dynamicConfigFile,
  });
}
