import { describe, expect, it } from 'vitest';
import { memoryIO } from '../../src/cli/io';
import { server } from '../../src/cli/commands/server/server';
import { postgresTarget, renderClusterConfig, servicePorts } from '../../src/temporal-server/cluster/cluster-config';

describe('the cluster configuration', () => {
  it('reads the PostgreSQL URL, with visibility beside the named database', () => {
    expect(postgresTarget('postgres://sync:p%40ss@db.internal:6543/temporal')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'sync',
      password: 'p@ss',
      database: 'temporal',
    });
    expect(() => postgresTarget('postgres://db.internal:5432/')).toThrow(/needs a database name/);
    expect(() => postgresTarget('mysql://db/x')).toThrow(/takes a postgres:\/\/ URL/);
  });

  it('gives every service its own ports from the frontend port, all bound to --ip', () => {
    const text = renderClusterConfig({
      postgres: postgresTarget('postgres://t:s3cret@127.0.0.1:5432/temporal'),
      ip: '10.20.0.1',
      port: 7233,
      historyShards: 4,
      dynamicConfigFile: '/x/dynamicconfig/development.yaml',
    });
    const ports = Object.values(servicePorts(7233)).flatMap((p) => [p.grpc, p.membership]);
    expect(new Set(ports).size).toBe(8);
    for (const p of ports) expect(text).toContain(`: ${p}\n`);
    expect(text).toContain('databaseName: "temporal_visibility"');
    expect(text).toContain('numHistoryShards: 4');
    expect(text).toContain('rpcAddress: "10.20.0.1:7233"');
    expect(text.match(/bindOnIP: "10\.20\.0\.1"/g)).toHaveLength(4);
  });

  it('refuses a bad --postgres URL in one line before building or starting anything', async () => {
    const io = memoryIO();
    await expect(
      server({ port: 7233, uiPort: 8233, postgres: 'postgres://host:5432/' }, io, Promise.resolve()),
    ).rejects.toThrow(/needs a database name in the URL/);
    expect(io.lines).toEqual([]);
  });
});
