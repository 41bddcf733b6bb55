import type { Command, Option } from 'commander';
import { EXIT_CODES } from '../contract/errors';

/** One example per command: the end of its --help, and of its section in docs/cli.md. */
export const EXAMPLES: Readonly<Record<string, string>> = {
  server: 'clientsync server --port 7233 --ui-port 8233',
  'fake-api': 'clientsync fake-api --port 8080 --expire-after 500',
  worker: 'clientsync worker --max-concurrent-calls 50',
  start: 'clientsync start --clients client_file.json --api-url https://api.example.com/clients/ --token-file token --id sync-2026-11-27',
  'refresh-token': 'get-new-token | clientsync refresh-token sync-2026-11-27 --token-stdin',
  set: 'clientsync set sync-2026-11-27 --rps 20 --max-failures 5%',
  status: 'clientsync status sync-2026-11-27 --watch',
  list: 'clientsync list --json',
  failures: 'clientsync failures sync-2026-11-27',
  results: 'clientsync results sync-2026-11-27 --out results.json',
  'retry-failed': 'clientsync retry-failed sync-2026-11-27 --token-file token',
  pause: 'clientsync pause sync-2026-11-27',
  resume: 'clientsync resume sync-2026-11-27',
  cancel: 'clientsync cancel sync-2026-11-27',
  demo: 'clientsync demo --clients 500',
};

/** Ends each command's --help with its example. */
export function addExamples(program: Command): void {
  for (const cmd of program.commands) {
    const example = EXAMPLES[cmd.name()];
    if (example) cmd.addHelpText('after', `\nExample:\n  ${example}`);
  }
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function optionRow(o: Option): string {
  const shown = o.defaultValueDescription ?? (o.defaultValue === undefined || typeof o.defaultValue === 'boolean' ? '' : JSON.stringify(o.defaultValue));
  const extra = [o.argChoices ? `one of ${o.argChoices.join(', ')}` : '', o.envVar ? `env ${o.envVar}` : ''].filter(Boolean).join('; ');
  return `| \`${cell(o.flags)}\` | ${cell(o.description)}${extra ? ` (${cell(extra)})` : ''} | ${shown ? `\`${cell(shown)}\`` : ''} |`;
}

function commandSection(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
  const lines = [`## \`clientsync ${cmd.name()}${args ? ` ${args}` : ''}\``, '', `${cmd.description()}.`, ''];
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) lines.push('| flag | what it does | default |', '|---|---|---|', ...options.map(optionRow), '');
  const example = EXAMPLES[cmd.name()];
  if (example) lines.push('```sh', example, '```', '');
  return lines.join('\n');
}

/** docs/cli.md, from commander's own definitions: `npm run docs:cli` writes it, and a test checks it. */
export function cliReference(program: Command): string {
  return [
    '# The `clientsync` command',
    '',
    'For people who run clientsync: every command and flag, with its default. This page is generated from the code (`npm run docs:cli`), and a test fails when the two disagree.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...EXIT_CODES.map(([code, meaning]) => `| ${code} | ${meaning} |`),
    '',
    'Every command that talks to Temporal keeps trying to connect for up to 30 s (`CLIENTSYNC_CONNECT_TIMEOUT`, in seconds), and says once on stderr that it is waiting. `--debug`, before the command, adds stack traces to errors.',
    '',
    ...program.commands.map(commandSection),
  ].join('\n');
}
