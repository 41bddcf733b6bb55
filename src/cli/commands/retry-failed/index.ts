import type { Command } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../../../contract/batch-input';
import { runOption, tokenOptions } from '../../command-options';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync retry-failed`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineRetryFailed(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    tokenOptions(
      program
        .command('retry-failed')
        .description('start a new batch over the failed clients of an ended batch')
        .argument('<batchId>')
        .option('--id <batchId>', 'id of the new batch')
        .option('--task-queue <queue>', 'task queue of the workers', DEFAULT_TASK_QUEUE)
        .option('--worker-token', "use the workers' own token source")
        .option(
          '--status <list>',
          'only clients whose last status matches: 429, 5xx, none (no answer), comma-separated',
        )
        .option('--reason <globs>', "only clients whose reason matches, e.g. 'Timeout*', comma-separated")
        .addOption(runOption()),
    ).action(async (id: string, o) => void (await commands.retryFailed(id, o, io))),
    "clientsync retry-failed sync-2026-11-27 --status 5xx,429 --reason 'Timeout*' --token-file token",
  );
}
