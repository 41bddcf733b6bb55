import type { Command } from 'commander';
import { tokenOptions } from '../../command-options';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync refresh-token`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineRefreshToken(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    tokenOptions(
      program.command('refresh-token').description('send tokenRefreshed with a new token').argument('<batchId>'),
    ).action(async (id: string, o) => void (await commands.refreshToken(id, o, io))),
    'get-new-token | clientsync refresh-token sync-2026-11-27 --token-stdin',
  );
}
