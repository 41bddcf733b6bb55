import { describe, expect, it } from 'vitest';
import { sqlitePragmas } from '../../src/temporal-server/dev-server';
import { renderServerConfig, renderWebConfig } from '../../src/temporal-server/server-config';
import { temporalTarget } from '../../src/connection/connection';

describe('reaching Temporal', () => {
  it('defaults to localhost:7233 and namespace default', () => {
    expect(temporalTarget({})).toMatchObject({ address: 'localhost:7233', namespace: 'default' });
  });

  it('reads address, namespace, API key and TLS from the standard environment configuration', () => {
    const t = temporalTarget({
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: 'key-123',
      TEMPORAL_TLS: 'true',
    });
    expect(t.address).toBe('my-ns.a1b2c.tmprl.cloud:7233');
    expect(t.namespace).toBe('my-ns.a1b2c');
    expect(t.options.apiKey).toBe('key-123');
    expect(t.options.tls).toBeTruthy();
  });

  it('reads a client certificate for mTLS', () => {
    const t = temporalTarget({
      TEMPORAL_ADDRESS: 'x:7233',
      TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT',
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
    });
    const tls = t.options.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toBe('KEY');
  });
});

describe('the dev server', () => {
  it('binds loopback only (services and Web), on one SQLite file in WAL mode', () => {
    const ports = { grpc: 7300, membership: 7400 };
    const text = renderServerConfig({
      store: { kind: 'sqlite', file: '/tmp/x.db', pragmas: sqlitePragmas() },
      ip: '127.0.0.1',
      ports: { frontend: ports, history: ports, matching: ports, worker: ports },
      historyShards: 1,
      dynamicConfigFile: '/x.yaml',
    });
    expect(text.match(/bindOnIP: "127\.0\.0\.1"/g)).toHaveLength(4);
    expect(text.match(/databaseName: "\/tmp\/x\.db"/g)).toHaveLength(2);
    expect(text).toContain('journal_mode: "wal"');
    expect(renderWebConfig('127.0.0.1:7300', '127.0.0.1', 8300)).toMatch(/^host: 127\.0\.0\.1$/m);
  });

  it('reads CLIENTSYNC_SQLITE_PRAGMAS as name=value pairs', () => {
    expect(sqlitePragmas('journal_mode=delete,synchronous=full')).toEqual({
      journal_mode: 'delete',
      synchronous: 'full',
    });
  });
});
