import { Option, type Command } from 'commander';
import { wholeNumber } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync demo`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineDemo(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('demo')
      .description('the whole story: server, worker, fake API, a batch whose token expires, a refresh')
      .addOption(new Option('--clients <n>', 'clients in the generated file').default(2000).argParser(wholeNumber(1)))
      .option('--keep', 'leave the server, worker and fake API running')
      .action(async (o) => void (await commands.demo(o, io))),
    'clientsync demo --clients 500',
  );
}
