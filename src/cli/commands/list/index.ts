import { Option, type Command } from 'commander';
import { wholeNumber } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync list`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineList(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('list')
      .description('batches with state and progress')
      .option('--json', 'JSON')
      .addOption(new Option('--limit <n>', 'at most N batches').default(50).argParser(wholeNumber(1)))
      .action(async (o) => void (await commands.list(o, io))),
    'clientsync list --json',
  );
}
