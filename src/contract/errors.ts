/**
 * A problem with what the user gave us (a flag, a file, a batch id). The CLI prints its one-line
 * message, which names the fix, and exits 2.
 */
export class UserError extends Error {
  override name = 'UserError';
  readonly exitCode = 2;
}

/** A failure at run time that is not the input's fault (a server down, a call refused). Exit 1. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
  readonly exitCode = 1;
}

/** Every exit code of the CLI, for its reference (docs/cli.md). */
export const EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'done'],
  [1, "a failure at run time that is not the input's fault, such as a Temporal server that does not answer"],
  [2, 'bad input or usage: one line names the fix, and nothing was started or changed'],
];

/** The exit code an error asks for by its own `exitCode` (2: the user can fix it); anything else is 1. */
export function exitCodeOf(err: unknown): number {
  const code = (err as { exitCode?: unknown } | undefined)?.exitCode;
  return typeof code === 'number' && Number.isInteger(code) && code > 0 ? code : 1;
}
