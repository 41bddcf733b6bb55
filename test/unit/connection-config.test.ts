import { describe, expect, it } from 'vitest';
import { devServerArgs } from '../../src/temporal-server/dev-server';
import { temporalTarget } from '../../src/temporal-connection';

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
    const t = temporalTarget({ TEMPORAL_ADDRESS: 'x:7233', TEMPORAL_TLS_CLIENT_CERT_DATA: 'CERT', TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY' });
    const tls = t.options.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toBe('KEY');
  });
});

describe('the dev server', () => {
  it('binds 127.0.0.1 only (gRPC and Web UI), on SQLite, with the search attributes registered', () => {
    const args = devServerArgs({ port: 7300, uiPort: 8300, dbFile: '/tmp/x.db' });
    expect(args.slice(0, 4)).toEqual(['server', 'start-dev', '--ip', '127.0.0.1']);
    expect(args).not.toContain('--ui-ip');
    expect(args.join(' ')).toContain('--db-filename /tmp/x.db');
    expect(args.join(' ')).toContain('--search-attribute ClientsyncState=Keyword');
    expect(args.join(' ')).toContain('--sqlite-pragma journal_mode=wal');
  });
});
