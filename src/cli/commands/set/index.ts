import type { Command } from 'commander';
import { OPTION_TABLE } from '../../../contract/option-table';
import { withBatchOptions } from '../../command-options';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync set`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineSet(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    withBatchOptions(
      program
        .command('set')
        .description("change a running batch's limits (recorded in its history)")
        .argument('<batchId>'),
      OPTION_TABLE.filter((row) => row.settable),
      'set',
    )
      .option('--no-max-failures', 'no failure threshold')
      .action(
        async (id: string, o) =>
          void (await commands.set(id, { ...o, maxFailures: o.maxFailures === false ? null : o.maxFailures }, io)),
      ),
    'clientsync set sync-2026-11-27 --rps 20 --max-failures 5%',
  );
}
