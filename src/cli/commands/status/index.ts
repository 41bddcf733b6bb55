import type { Command } from 'commander';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync status`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineStatus(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('status')
      .description("a batch's progress")
      .argument('<batchId>')
      .option('--json', 'one JSON object')
      .option('--watch', 'redraw until the batch ends')
      .action(async (id: string, o) => void (await commands.status(id, o, io))),
    'clientsync status sync-2026-11-27 --watch',
  );
}
