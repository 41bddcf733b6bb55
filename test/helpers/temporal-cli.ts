import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal-server/provision';

let cli: Promise<string> | undefined;

/**
 * The pinned Temporal CLI, for the tests that run operator commands: built once for the machine (about two
 * minutes, the first time), while the other test files go on.
 */
export function temporalCli(): Promise<string> {
  cli ??= resolveBinary(TEMPORAL_CLI, (line) => console.log(line)).then((b) => b.path);
  return cli;
}
