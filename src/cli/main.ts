import { Command, CommanderError } from 'commander';
import { exitCodeOf } from '../contract/errors';
import { stopTracing } from '../telemetry/tracing';
import { DEFINITIONS, realCommands, type Commands } from './commands';
import { processIO, type CliIO } from './io';

export type { Commands } from './commands';

/** Builds the `clientsync` program. Parse errors throw CommanderError; commands throw UserError/RuntimeError. */
export function buildProgram(io: CliIO = processIO, commands: Commands = realCommands): Command {
  const program = new Command('clientsync')
    .description('Call an API once for every client in a long list, durably, on Temporal.')
    .version(require('../../package.json').version as string)
    .option('--debug', 'show stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => {}, outputError: () => {} });

  for (const define of DEFINITIONS) define(program, io, commands);
  return program;
}

/** Exit code and one-line message for any error; stack traces only with --debug. */
export function reportError(err: unknown, io: CliIO, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    const hint = err.code === 'commander.unknownCommand' ? '' : ' (see --help)';
    io.err(`clientsync: ${err.message.replace(/^error: /, '')}${hint}`);
    return 2;
  }
  const e = err as Error;
  const code = exitCodeOf(err);
  io.err(`clientsync: ${e?.message?.split('\n')[0] ?? String(err)}`);
  if (debug && e?.stack) io.err(e.stack);
  return code;
}

/** Parses argv and runs the command; the only place that decides the exit code. */
export async function main(argv: string[], io: CliIO = processIO, commands?: Commands): Promise<number> {
  const program = buildProgram(io, commands);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, io, argv.includes('--debug'));
  } finally {
    await stopTracing();
  }
}
