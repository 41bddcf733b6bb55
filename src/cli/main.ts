import { Command, CommanderError, Option } from 'commander';
import { exitCodeOf } from '../contract/errors';
import { stopTracing } from '../telemetry/tracing';
import { DEFAULT_DEPLOYMENT, DEFAULT_TASK_QUEUE } from '../contract/batch-input';
import { defaultText, OPTION_TABLE, type OptionRow } from '../contract/option-table';
import { processIO, type CliIO } from './io';
import { addExamples } from './reference';
import { authPlace, parserFor, port, positiveNumber, rate, webhookUrl, wholeNumber } from './parse';

/** The command functions, injectable so argv parsing can be table-tested without running anything. */
export interface Commands {
  server: typeof import('./commands/server').server;
  fakeApi: typeof import('./commands/fake-api').fakeApi;
  worker: typeof import('./commands/worker').worker;
  set: typeof import('./commands/set').set;
  start: typeof import('./commands/start').start;
  refreshToken: typeof import('./commands/refresh-token').refreshToken;
  status: typeof import('./commands/status').status;
  list: typeof import('./commands/list').list;
  failures: typeof import('./commands/failures').failures;
  results: typeof import('./commands/results').results;
  retryFailed: typeof import('./commands/retry-failed').retryFailed;
  pause: typeof import('./commands/pause').pause;
  resume: typeof import('./commands/pause').resume;
  cancel: typeof import('./commands/cancel').cancel;
  demo: typeof import('./commands/demo').demo;
}

/** Loads commands on use, so `clientsync --help` does not pay for the Temporal SDK. */
const realCommands: Commands = {
  server: async (...a) => (await import('./commands/server')).server(...a),
  fakeApi: async (...a) => (await import('./commands/fake-api')).fakeApi(...a),
  worker: async (...a) => (await import('./commands/worker')).worker(...a),
  start: async (...a) => (await import('./commands/start')).start(...a),
  refreshToken: async (...a) => (await import('./commands/refresh-token')).refreshToken(...a),
  status: async (...a) => (await import('./commands/status')).status(...a),
  list: async (...a) => (await import('./commands/list')).list(...a),
  failures: async (...a) => (await import('./commands/failures')).failures(...a),
  results: async (...a) => (await import('./commands/results')).results(...a),
  retryFailed: async (...a) => (await import('./commands/retry-failed')).retryFailed(...a),
  pause: async (...a) => (await import('./commands/pause')).pause(...a),
  resume: async (...a) => (await import('./commands/pause')).resume(...a),
  cancel: async (...a) => (await import('./commands/cancel')).cancel(...a),
  set: async (...a) => (await import('./commands/set')).set(...a),
  demo: async (...a) => (await import('./commands/demo')).demo(...a),
};

const tokenOptions = (cmd: Command) =>
  cmd
    .option('--token-file <file>', 'read the API token from a file (default: env API_TOKEN)')
    .option('--token-stdin', 'read the API token from standard input');

/** Which of several batches that used one id a store command reads. */
const runOption = () => new Option('--run <runId>', 'an older batch that used the same id: its first run id, or a prefix (default: the newest)');

/**
 * Adds the option table's flags to a command: for `start` with their defaults in help, for `set` (which
 * changes only what is given) without.
 */
function withBatchOptions(cmd: Command, rows: readonly OptionRow[], use: 'start' | 'set' = 'start'): Command {
  for (const row of rows) {
    const t = row.type;
    if (t.kind === 'switch') cmd.addOption(new Option(`--${row.flag}`, row.help));
    else if (t.kind === 'on-off') cmd.addOption(new Option(`--${row.flag}`, `${row.help} (the default)`)).addOption(new Option(`--no-${row.flag}`, t.offHelp));
    else {
      const shown = use === 'start' ? defaultText(row) : undefined;
      const option = new Option(`--${row.flag} <${row.value}>`, shown ? `${row.help} (default ${shown})` : row.help);
      const parser = parserFor(t);
      if (t.kind === 'choice') option.choices(t.choices);
      else if (t.kind === 'list') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      else if (parser) option.argParser(parser);
      cmd.addOption(option);
    }
  }
  return cmd;
}

/** Builds the `clientsync` program. Parse errors throw CommanderError; commands throw UserError/RuntimeError. */
export function buildProgram(io: CliIO = processIO, commands: Commands = realCommands): Command {
  const program = new Command('clientsync')
    .description('Call an API once for every client in a long list, durably, on Temporal.')
    .version(require('../../package.json').version as string)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => {}, outputError: () => {} });

  program
    .command('server')
    .description('start the Temporal server on SQLite (built once from temporal/server/go.mod) with Temporal Web')
    .addOption(new Option('--port <port>', 'gRPC port').default(7233).argParser(port))
    .addOption(new Option('--ui-port <port>', 'Temporal Web port').default(8233).argParser(port))
    .option('--db <file>', 'SQLite file that keeps batches across restarts (default: .clientsync/temporal.db)')
    .option(
      '--postgres <url>',
      'a Temporal cluster on this PostgreSQL (postgres://user:pass@host:5432/db; visibility in db_visibility) instead of the SQLite dev server',
    )
    .option('--ip <address>', 'with --postgres: address the cluster binds and advertises, for workers on other hosts', '127.0.0.1')
    .addOption(new Option('--history-shards <n>', "with --postgres: history shards, fixed for the database's life").default(4).argParser(wholeNumber(1, 16384)))
    .option('--install-only', "only build or find the binaries (with --postgres: the cluster's), then exit")
    .action((o) => commands.server(o, io));

  program
    .command('fake-api')
    .description('run the fake clients API on 127.0.0.1 (tokens, faults, ledger)')
    .addOption(new Option('--port <port>', 'port (0: any free one)').default(8080).argParser(port))
    .addOption(new Option('--expire-after <n>', 'a token expires after N successful calls (0: never)').default(0).argParser(wholeNumber()))
    .addOption(new Option('--token-ttl <seconds>', 'a token expires after S seconds (0: never)').default(0).argParser(wholeNumber()))
    .addOption(new Option('--latency-ms <ms>', 'latency of each answer').default(0).argParser(wholeNumber()))
    .addOption(new Option('--jitter-ms <ms>', 'random extra latency').default(0).argParser(wholeNumber()))
    .addOption(new Option('--fault-rate <rate>', 'share of calls answered 503').default(0).argParser(rate))
    .addOption(new Option('--rate-limit-rate <rate>', 'share of calls answered 429 with Retry-After').default(0).argParser(rate))
    .addOption(new Option('--slow-rate <rate>', 'share of calls answered after --slow-ms').default(0).argParser(rate))
    .addOption(new Option('--slow-ms <ms>', 'delay of slow answers').default(30_000).argParser(wholeNumber()))
    .addOption(new Option('--reset-rate <rate>', 'share of connections reset without an answer').default(0).argParser(rate))
    .option('--missing <ids>', 'comma-separated ids that answer 404', (v: string) => v.split(',').filter(Boolean))
    .option('--conflicts <ids>', 'comma-separated ids whose POST answers 409 Conflict (the record exists)', (v: string) => v.split(',').filter(Boolean))
    .addOption(
      new Option('--auth <place>', 'where the API reads the token: bearer, basic (password), header:NAME or query:NAME').default('bearer').argParser(authPlace),
    )
    .addOption(new Option('--seed <n>', 'seed of the fault generator').default(1).argParser(wholeNumber()))
    .option('--jwks-url <url>', "also accept JWT access tokens signed by the keys at this URL (an authorization server's)")
    .option('--audience <aud>', 'with --jwks-url: the audience the JWTs must carry')
    .option('--compact-ledger', 'keep only counts in the ledger (about 5 bytes a client), for batches of millions; GET /_check?count=N reads it')
    .action((o) =>
      commands.fakeApi(
        {
          port: o.port,
          expireAfter: o.expireAfter,
          tokenTtlSeconds: o.tokenTtl,
          latencyMs: o.latencyMs,
          jitterMs: o.jitterMs,
          faultRate: o.faultRate,
          rateLimitRate: o.rateLimitRate,
          slowRate: o.slowRate,
          slowMs: o.slowMs,
          resetRate: o.resetRate,
          missingIds: o.missing,
          conflictIds: o.conflicts,
          auth: o.auth,
          seed: o.seed,
          compactLedger: o.compactLedger === true,
          ...(o.jwksUrl ? { jwt: { jwksUrl: o.jwksUrl, ...(o.audience ? { audience: o.audience } : {}) } } : {}),
        },
        io,
      ),
    );

  program
    .command('worker')
    .description('run batches: workflows and API calls (Ctrl-C lets in-flight calls finish)')
    .option('--task-queue <queue>', 'task queue', DEFAULT_TASK_QUEUE)
    .addOption(new Option('--max-concurrent-calls <n>', 'API calls this worker runs at once').default(100).argParser(wholeNumber(1)))
    .addOption(
      new Option('--rps <r>', 'calls per second across all workers of the task queue (a --local-calls batch keeps its own start --rps)').argParser(
        positiveNumber,
      ),
    )
    .addOption(
      new Option('--deployment <name>', 'the worker deployment it joins; its build is the release plus a hash of the workflow code')
        .env('CLIENTSYNC_DEPLOYMENT')
        .default(DEFAULT_DEPLOYMENT),
    )
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 0.0.0.0:9464 (default: env CLIENTSYNC_METRICS; none)')
    .option('--no-make-current', 'join without becoming the current build (a cluster: the operator makes a build current once all its workers run)')
    .action((o) => commands.worker({ ...o, debug: program.opts().debug === true }, io));

  withBatchOptions(
    tokenOptions(program.command('start'))
      .description('validate a clients file and start a batch')
      .requiredOption('--clients <file>', "clients file or http(s) URL (read with Range): the original script's nested JSON, JSON Lines or CSV")
      .option('--api-url <url>', "API URL; each {Field} is the client's field (e.g. {ClientId}), else the id is appended (default: env API_BASE_URL)")
      .option('--id <batchId>', 'batch id (also the workflow id)')
      .addOption(new Option('--format <format>', 'source format (default: by file ending)').choices(['seed-json', 'jsonl', 'csv']))
      .option('--task-queue <queue>', 'task queue of the workers', DEFAULT_TASK_QUEUE)
      .option('--worker-token', "use the workers' own token source instead of passing one")
      .addOption(
        new Option(
          '--notify <url>',
          'POST a JSON alert here when the batch needs a person, while it waits, and when it ends (default: env CLIENTSYNC_NOTIFY_URL on the workers)',
        ).argParser(webhookUrl),
      )
      .option('--body-file <file>', 'read the --body expression from a file')
      .option('--dry-run', 'validate the clients file and report; start nothing')
      .option('--show-request', 'print the first three requests as they will be sent, the credential redacted')
      .option('--wait', 'show progress until the batch ends'),
    OPTION_TABLE,
  ).action(async (o) => void (await commands.start(o, io)));

  tokenOptions(program.command('refresh-token').description('send tokenRefreshed with a new token').argument('<batchId>')).action(
    async (id: string, o) => void (await commands.refreshToken(id, o, io)),
  );

  withBatchOptions(
    program.command('set').description("change a running batch's limits (recorded in its history)").argument('<batchId>'),
    OPTION_TABLE.filter((row) => row.settable),
    'set',
  )
    .option('--no-max-failures', 'no failure threshold')
    .action(async (id: string, o) => void (await commands.set(id, { ...o, maxFailures: o.maxFailures === false ? null : o.maxFailures }, io)));

  program
    .command('status')
    .description("a batch's progress")
    .argument('<batchId>')
    .option('--json', 'one JSON object')
    .option('--watch', 'redraw until the batch ends')
    .action(async (id: string, o) => void (await commands.status(id, o, io)));

  program
    .command('list')
    .description('batches with state and progress')
    .option('--json', 'JSON')
    .addOption(new Option('--limit <n>', 'at most N batches').default(50).argParser(wholeNumber(1)))
    .action(async (o) => void (await commands.list(o, io)));

  program
    .command('failures')
    .description('failed clients with reason, last HTTP status and attempts')
    .argument('<batchId>')
    .option('--json', 'JSON')
    .addOption(runOption())
    .action(async (id: string, o) => void (await commands.failures(id, o, io)));

  program
    .command('results')
    .description('export the successful responses')
    .argument('<batchId>')
    .option('--out <file>', 'write to a file (default: stdout)')
    .addOption(new Option('--format <format>', "json: the original script's [{client, data}]; jsonl: one per line").choices(['json', 'jsonl']).default('json'))
    .addOption(runOption())
    .action(async (id: string, o) => void (await commands.results(id, o, io)));

  tokenOptions(
    program
      .command('retry-failed')
      .description('start a new batch over the failed clients of an ended batch')
      .argument('<batchId>')
      .option('--id <batchId>', 'id of the new batch')
      .option('--task-queue <queue>', 'task queue of the workers', DEFAULT_TASK_QUEUE)
      .option('--worker-token', "use the workers' own token source")
      .addOption(runOption()),
  ).action(async (id: string, o) => void (await commands.retryFailed(id, o, io)));

  program
    .command('pause')
    .description('stop starting calls; in-flight calls finish')
    .argument('<batchId>')
    .action((id: string) => commands.pause(id, io));
  program
    .command('resume')
    .description('continue a paused batch')
    .argument('<batchId>')
    .action((id: string) => commands.resume(id, io));
  program
    .command('cancel')
    .description('end a batch cleanly with its summary')
    .argument('<batchId>')
    .action(async (id: string) => void (await commands.cancel(id, io)));

  program
    .command('demo')
    .description('the whole story: server, worker, fake API, a batch whose token expires, a refresh')
    .addOption(new Option('--clients <n>', 'clients in the generated file').default(2000).argParser(wholeNumber(1)))
    .option('--keep', 'leave the server, worker and fake API running')
    .action(async (o) => void (await commands.demo(o, io)));

  addExamples(program);
  return program;
}

/** Exit code and one-line message for any error; stack traces only with --debug. */
export function reportError(err: unknown, io: CliIO, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    const hint = err.code === 'commander.unknownCommand' ? '' : ' (see --help)';
    io.err(`clientsync: ${err.message.replace(/^error: /, '')}${hint}`);
    return 2;
  }
  const e = err as Error;
  const code = exitCodeOf(err);
  io.err(`clientsync: ${e?.message?.split('\n')[0] ?? String(err)}`);
  if (debug && e?.stack) io.err(e.stack);
  return code;
}

/** Parses argv and runs the command; the only place that decides the exit code. */
export async function main(argv: string[], io: CliIO = processIO, commands?: Commands): Promise<number> {
  const program = buildProgram(io, commands);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io, argv.includes('--debug'));
  } finally {
    await stopTracing();
  }
}
