import type { Command } from 'commander';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync pause`, as people type it: its arguments, flags and help; what it does loads on use. */
export function definePause(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('pause')
      .description('stop starting calls; in-flight calls finish')
      .argument('<batchId>')
      .action((id: string) => commands.pause(id, io)),
    'clientsync pause sync-2026-11-27',
  );
}

/** `clientsync resume`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineResume(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('resume')
      .description('continue a paused batch')
      .argument('<batchId>')
      .action((id: string) => commands.resume(id, io)),
    'clientsync resume sync-2026-11-27',
  );
}
