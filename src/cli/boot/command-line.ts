/** The command a command line runs: its first word after the script that is not an option. */
export function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}
