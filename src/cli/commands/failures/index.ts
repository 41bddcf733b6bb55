import type { Command } from 'commander';
import { runOption } from '../../command-options';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync failures`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineFailures(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('failures')
      .description('failed clients with reason, last HTTP status and attempts')
      .argument('<batchId>')
      .option('--json', 'JSON')
      .option('--by <field>', 'group by reason or status, with counts and a few ClientIds each')
      .addOption(runOption())
      .action(async (id: string, o) => void (await commands.failures(id, o, io))),
    'clientsync failures sync-2026-11-27 --by reason',
  );
}
