import { Option, type Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../../../contract/batch-input';
import { OPTION_TABLE } from '../../../contract/option-table';
import { tokenOptions, withBatchOptions } from '../../command-options';
import { webhookUrl } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync start`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineStart(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    withBatchOptions(
      tokenOptions(program.command('start'))
        .description('validate a clients file and start a batch')
        .requiredOption(
          '--clients <file>',
          "clients file or http(s) URL (read with Range): the original script's nested JSON, JSON Lines or CSV",
        )
        .option(
          '--api-url <url>',
          "API URL; each {Field} is the client's field (e.g. {ClientId}), each {$group.Field} its group's, else the id is appended (default: env API_BASE_URL)",
        )
        .option('--id <batchId>', 'batch id (also the workflow id)')
        .addOption(
          new Option('--format <format>', 'source format (default: by file ending)').choices([
            'seed-json',
            'jsonl',
            'csv',
          ]),
        )
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
    ).action(async (o) => void (await commands.start(o, io))),
    'clientsync start --clients client_file.json --api-url https://api.example.com/clients/ --token-file token --id sync-2026-11-27',
  );
}
