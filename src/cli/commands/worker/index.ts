import { Option, type Command } from 'commander';
import { DEFAULT_DEPLOYMENT, DEFAULT_TASK_QUEUE } from '../../../contract/batch-input';
import { positiveNumber, wholeNumber } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync worker`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineWorker(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('worker')
      .description('run batches: workflows and API calls (Ctrl-C lets in-flight calls finish)')
      .option('--task-queue <queue>', 'task queue', DEFAULT_TASK_QUEUE)
      .addOption(
        new Option('--max-concurrent-calls <n>', 'API calls this worker runs at once')
          .default(100)
          .argParser(wholeNumber(1)),
      )
      .addOption(
        new Option(
          '--rps <r>',
          'calls per second across all workers of the task queue (a --local-calls batch keeps its own start --rps)',
        ).argParser(positiveNumber),
      )
      .addOption(
        new Option(
          '--deployment <name>',
          'the worker deployment it joins; its build is the release plus a hash of the workflow code',
        )
          .env('CLIENTSYNC_DEPLOYMENT')
          .default(DEFAULT_DEPLOYMENT),
      )
      .option(
        '--metrics <host:port>',
        'serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 0.0.0.0:9464 (default: env CLIENTSYNC_METRICS; none)',
      )
      .option(
        '--no-make-current',
        'join without becoming the current build (a cluster: the operator makes a build current once all its workers run)',
      )
      .action((o) => commands.worker({ ...o, debug: program.opts().debug === true }, io)),
    'clientsync worker --max-concurrent-calls 50',
  );
}
