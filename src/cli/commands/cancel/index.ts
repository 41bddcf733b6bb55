import type { Command } from 'commander';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync cancel`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineCancel(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('cancel')
      .description('end a batch cleanly with its summary')
      .argument('<batchId>')
      .action(async (id: string) => void (await commands.cancel(id, io))),
    'clientsync cancel sync-2026-11-27',
  );
}
