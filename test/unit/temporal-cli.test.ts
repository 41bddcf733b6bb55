import { describe, expect, it } from 'vitest';
import { cliServerTooOld, dynamicConfigValues, startDevArgs } from '../../src/temporal-server/temporal-cli';

const cli = (server: string) => ({ path: '/usr/bin/temporal', named: false, version: '1.9.1', server, ui: '2.45.0' });

describe('a temporal CLI for the dev server', () => {
  it('is used when its server is 1.32 or later, and said to be too old otherwise', () => {
    expect(cliServerTooOld(cli('1.32.0'))).toBeUndefined();
    expect(cliServerTooOld(cli('1.33.2'))).toBeUndefined();
    expect(cliServerTooOld(cli('2.0.0'))).toBeUndefined();
    expect(cliServerTooOld(cli('1.31.9'))).toBe(
      'the temporal CLI v1.9.1 on the PATH (/usr/bin/temporal) runs server v1.31.9; clientsync needs v1.32.0 or later, ' +
        'whose server tells a pinned batch that a new build is current',
    );
  });

  it('gets the dynamic config every clientsync server reads, each key once', async () => {
    const values = await dynamicConfigValues();
    expect(values).toContain('system.enableDeploymentVersions=true');
    expect(values).toContain('system.enableSendTargetVersionChanged=true');
    expect(values).toContain('frontend.namespaceRPS=100000');
    expect(new Set(values.map((v) => v.split('=')[0])).size).toBe(values.length);
  });

  it('binds start-dev to loopback, on the database file, with Web or without', async () => {
    const args = await startDevArgs({ port: 7233, uiPort: 8233, dbFile: '/data/temporal.db' });
    expect(args.slice(0, 10)).toEqual([
      ...['server', 'start-dev', '--ip', '127.0.0.1', '--port', '7233', '--ui-port', '8233'],
      ...['--db-filename', '/data/temporal.db'],
    ]);
    const headless = await startDevArgs({ port: 7233, uiPort: 8233, dbFile: '/d.db', headless: true });
    expect(headless).toContain('--headless');
    expect(headless).not.toContain('--ui-port');
  });
});
