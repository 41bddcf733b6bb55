import { Option, type Command } from 'commander';
import { port, wholeNumber } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync server`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineServer(program: Command, io: CliIO, commands: Commands): void {
  withExample(
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
      .option(
        '--ip <address>',
        'with --postgres: address the cluster binds and advertises, for workers on other hosts',
        '127.0.0.1',
      )
      .addOption(
        new Option('--history-shards <n>', "with --postgres: history shards, fixed for the database's life")
          .default(4)
          .argParser(wholeNumber(1, 16384)),
      )
      .option('--install-only', "only build or find the binaries (with --postgres: the cluster's), then exit")
      .option('--cli', 'with --install-only: the Temporal CLI too, for operator commands (temporal/bin/temporal)')
      .action((o) => commands.server(o, io)),
    'clientsync server --port 7233 --ui-port 8233',
  );
}
