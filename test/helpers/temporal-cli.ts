import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal-server/provision';

let cli: Promise<string> | undefined;

/**
 * The pinned Temporal CLI, for the tests that run operator commands: built once for the machine (about four
 * minutes, the first time; a second test file waits for that build).
 */
export function temporalCli(): Promise<string> {
  cli ??= resolveBinary(TEMPORAL_CLI, (line) => console.log(line)).then((b) => b.path);
  return cli;
}
