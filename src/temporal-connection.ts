import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { RuntimeError } from './errors';

export interface TemporalTarget {
  address: string;
  namespace: string;
  options: NativeConnectionOptions;
}

/**
 * Where Temporal is, from the standard environment configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_PROFILE, TLS and API key settings, the config file). Defaults: localhost:7233, namespace default.
 */
export function temporalTarget(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  const config = loadClientConnectConfig({ configSource: undefined, overrideEnvVars: env as Record<string, string> });
  const address = config.connectionOptions.address ?? 'localhost:7233';
  return { address, namespace: config.namespace ?? 'default', options: { ...config.connectionOptions, address } };
}

function unreachable(target: TemporalTarget, err: unknown): RuntimeError {
  const why = (err as Error).message?.split('\n')[0] ?? String(err);
  return new RuntimeError(`cannot reach Temporal at ${target.address} (${why}); is \`clientsync server\` running? TEMPORAL_ADDRESS=${process.env.TEMPORAL_ADDRESS ?? '(unset)'}`);
}

/** A client for starting, signalling and querying batches. */
export async function connectClient(target = temporalTarget()): Promise<{ client: Client; connection: Connection; target: TemporalTarget }> {
  try {
    const connection = await Connection.connect({ ...target.options, connectTimeout: 5000 } as Parameters<typeof Connection.connect>[0]);
    await connection.workflowService.getSystemInfo({});
    return { client: new Client({ connection, namespace: target.namespace }), connection, target };
  } catch (err) {
    throw unreachable(target, err);
  }
}

/** The worker's connection. */
export async function connectWorker(target = temporalTarget()): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(target.options);
  } catch (err) {
    throw unreachable(target, err);
  }
}
