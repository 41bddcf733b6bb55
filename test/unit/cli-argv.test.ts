import { describe, expect, it } from 'vitest';
import { main, type Commands } from '../../src/cli/main';
import { memoryIO } from '../../src/cli/io';

/** Runs argv against recording commands: what each command would have been called with. */
async function parse(args: string[]) {
  const calls: Array<{ command: string; args: unknown[] }> = [];
  const record = new Proxy({} as Commands, {
    get:
      (_t, command: string) =>
      async (...a: unknown[]) =>
        void calls.push({ command, args: a.slice(0, -1) }),
  });
  const io = memoryIO();
  const code = await main(['node', 'clientsync', ...args], io, record);
  return { code, calls, errors: io.errors, lines: io.lines };
}

describe('clientsync argv', () => {
  it.each([
    [['server'], 'server', [{ port: 7233, uiPort: 8233 }]],
    [
      ['server', '--port', '7300', '--ui-port', '8300', '--db', 'x.db'],
      'server',
      [{ port: 7300, uiPort: 8300, db: 'x.db' }],
    ],
    [
      ['server', '--postgres', 'postgres://t@db:5432/temporal', '--ip', '10.0.0.5', '--history-shards', '8'],
      'server',
      [{ postgres: 'postgres://t@db:5432/temporal', ip: '10.0.0.5', historyShards: 8 }],
    ],
    [
      ['fake-api', '--port', '0', '--expire-after', '150', '--fault-rate', '0.05', '--missing', 'a,b'],
      'fakeApi',
      [{ port: 0, expireAfter: 150, faultRate: 0.05, missingIds: ['a', 'b'], seed: 1 }],
    ],
    [
      ['worker', '--max-concurrent-calls', '20', '--rps', '50'],
      'worker',
      [{ taskQueue: 'clientsync', maxConcurrentCalls: 20, rps: 50 }],
    ],
    [
      ['start', '--clients', 'c.json', '--api-url', 'http://x/', '--concurrency', '8', '--token-stdin', '--wait'],
      'start',
      [
        {
          clients: 'c.json',
          apiUrl: 'http://x/',
          concurrency: 8,
          tokenStdin: true,
          wait: true,
          taskQueue: 'clientsync',
        },
      ],
    ],
    [
      ['start', '--clients', 'c.csv', '--expired-regex', 'TOKEN_EXPIRED', '--token-file', 't'],
      'start',
      [{ clients: 'c.csv', expiredRegex: 'TOKEN_EXPIRED', tokenFile: 't' }],
    ],
    [
      ['start', '--clients', 'c.json', '--rps', '50', '--clients-per-activity', '25', '--dry-run'],
      'start',
      [{ rps: 50, clientsPerActivity: 25, dryRun: true }],
    ],
    [
      [
        'start',
        '--clients',
        'c.json',
        '--notify',
        'https://hooks.slack.com/services/T/B/x',
        '--notify-every',
        '15m',
        '--wait-timeout',
        '2h',
        '--on-wait-timeout',
        'fail',
      ],
      'start',
      [
        {
          notify: 'https://hooks.slack.com/services/T/B/x',
          notifyEvery: 900_000,
          waitTimeout: 7_200_000,
          onWaitTimeout: 'fail',
        },
      ],
    ],
    [['start', '--clients', 'c.json', '--no-auto-refresh'], 'start', [{ autoRefresh: false }]],
    [['start', '--clients', 'c.json', '--local-calls'], 'start', [{ localCalls: true }]],
    [
      ['start', '--clients', 'c.json', '--max-failures', '5%', '--min-sample', '200', '--on-max-failures', 'fail'],
      'start',
      [{ maxFailures: { percent: 5 }, minSample: 200, onMaxFailures: 'fail' }],
    ],
    [
      ['set', 'b1', '--concurrency', '4', '--rps', '0', '--max-failures', '50'],
      'set',
      ['b1', { concurrency: 4, rps: 0, maxFailures: { count: 50 } }],
    ],
    [['set', 'b1', '--no-max-failures'], 'set', ['b1', { maxFailures: null }]],
    [
      ['fake-api', '--jwks-url', 'http://127.0.0.1:9000/jwks', '--audience', 'https://api/'],
      'fakeApi',
      [{ jwt: { jwksUrl: 'http://127.0.0.1:9000/jwks', audience: 'https://api/' } }],
    ],
    [['refresh-token', 'b1', '--token-file', 't'], 'refreshToken', ['b1', { tokenFile: 't' }]],
    [['refresh-token', 'b1'], 'refreshToken', ['b1', {}]],
    [['status', 'b1', '--json'], 'status', ['b1', { json: true }]],
    [['status', 'b1', '--watch'], 'status', ['b1', { watch: true }]],
    [['list'], 'list', [{ limit: 50 }]],
    [['failures', 'b1', '--json'], 'failures', ['b1', { json: true }]],
    [['failures', 'b1', '--run', '01a2'], 'failures', ['b1', { run: '01a2' }]],
    [['results', 'b1', '--out', 'r.json'], 'results', ['b1', { out: 'r.json', format: 'json' }]],
    [['results', 'b1', '--format', 'jsonl'], 'results', ['b1', { format: 'jsonl' }]],
    [['retry-failed', 'b1'], 'retryFailed', ['b1', { taskQueue: 'clientsync' }]],
    [['retry-failed', 'b1', '--run', '01a2'], 'retryFailed', ['b1', { run: '01a2' }]],
    [['pause', 'b1'], 'pause', ['b1']],
    [['resume', 'b1'], 'resume', ['b1']],
    [['cancel', 'b1'], 'cancel', ['b1']],
    [['demo', '--keep'], 'demo', [{ clients: 2000, keep: true }]],
  ])('%j calls %s with %j', async (argv, command, args) => {
    const r = await parse(argv);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]!.command).toBe(command);
    expect(r.calls[0]!.args).toMatchObject(args);
  });

  it.each([
    [['fake-api', '--port', 'abc'], /option '--port <port>' argument 'abc' is invalid. expected a whole number/],
    [['fake-api', '--bogus'], /unknown option '--bogus'/],
    [['fake-api', '--fault-rate', '2'], /expected a rate from 0 to 1/],
    [['start', '--api-url', 'http://x/'], /required option '--clients <file>' not specified/],
    [['start', '--clients', 'c.json', '--concurrency', '0'], /expected a whole number from 1 to 1000/],
    [['start', '--clients', 'c.json', '--token', 'secret'], /unknown option '--token'/],
    // A redrive keeps the original batch's options, --local-calls among them; it takes no flag it would ignore.
    [['retry-failed', 'b1', '--local-calls'], /unknown option '--local-calls'/],
    [['results', 'b1', '--format', 'xml'], /argument 'xml' is invalid. Allowed choices are json, jsonl/],
    [['start', '--clients', 'c.json', '--notify', 'slack'], /expected an http\(s\) URL to POST alerts to/],
    [['start', '--clients', 'c.json', '--max-failures', '100%'], /expected a percentage below 100%/],
    [['set', 'b1', '--rps', '-1'], /expected a number of 0 or more/],
    [['start', '--clients', 'c.json', '--wait-timeout', 'soon'], /expected a duration such as 90s, 30m, 2h or 1d/],
    [['start', '--clients', 'c.json', '--on-wait-timeout', 'panic'], /Allowed choices are keep-waiting, cancel, fail/],
    [['status'], /missing required argument 'batchId'/],
    [['nosuch'], /unknown command 'nosuch'/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const r = await parse(argv);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
    expect(r.errors[0]).toMatch(/^clientsync: /);
  });

  it('prints help with exit 0 for every command', async () => {
    for (const cmd of [
      'server',
      'fake-api',
      'worker',
      'start',
      'refresh-token',
      'set',
      'status',
      'list',
      'failures',
      'results',
      'retry-failed',
      'pause',
      'resume',
      'cancel',
      'demo',
    ]) {
      const r = await parse([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.lines.join('\n')).toContain(`Usage: clientsync ${cmd}`);
    }
  });
});
