// The flags several commands share: the token's source, which batch under an id, and the batch options.
import { Option, type Command } from 'commander';
import { defaultText, type OptionRow } from '../contract/option-table';
import { parserFor } from './parse';

/** --token-file and --token-stdin: where a command reads the API token. */
export const tokenOptions = (cmd: Command) =>
  cmd
    .option('--token-file <file>', 'read the API token from a file (default: env API_TOKEN)')
    .option('--token-stdin', 'read the API token from standard input');

/** Which of several batches that used one id a store command reads. */
export const runOption = () =>
  new Option(
    '--run <runId>',
    'an older batch that used the same id: its first run id, or a prefix (default: the newest)',
  );

/**
 * Adds the option table's flags to a command: for `start` with their defaults in help, for `set` (which
 * changes only what is given) without.
 */
export function withBatchOptions(cmd: Command, rows: readonly OptionRow[], use: 'start' | 'set' = 'start'): Command {
  for (const row of rows) {
    const t = row.type;
    if (t.kind === 'switch') cmd.addOption(new Option(`--${row.flag}`, row.help));
    else if (t.kind === 'on-off')
      cmd
        .addOption(new Option(`--${row.flag}`, `${row.help} (the default)`))
        .addOption(new Option(`--no-${row.flag}`, t.offHelp));
    else {
      const shown = use === 'start' ? defaultText(row) : undefined;
      const option = new Option(`--${row.flag} <${row.value}>`, shown ? `${row.help} (default ${shown})` : row.help);
      const parser = parserFor(t);
      if (t.kind === 'choice') option.choices(t.choices);
      else if (t.kind === 'list')
        option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
      else if (parser) option.argParser(parser);
      cmd.addOption(option);
    }
  }
  return cmd;
}
