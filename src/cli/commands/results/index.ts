import { Option, type Command } from 'commander';
import { runOption } from '../../command-options';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync results`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineResults(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('results')
      .description('export the successful responses')
      .argument('<batchId>')
      .option('--out <file>', 'write to a file (default: stdout)')
      .addOption(
        new Option('--format <format>', "json: the original script's [{client, data}]; jsonl: one per line")
          .choices(['json', 'jsonl'])
          .default('json'),
      )
      .addOption(runOption())
      .action(async (id: string, o) => void (await commands.results(id, o, io))),
    'clientsync results sync-2026-11-27 --out results.json',
  );
}
