import type { Command, Option } from 'commander';
import { EXIT_CODES } from '../contract/errors';

/** Each command's example: the end of its --help, and of its section in docs/cli.md. */
const examples = new WeakMap<Command, string>();

/** Gives a command its example, at the end of its --help. */
export function withExample(cmd: Command, example: string): Command {
  examples.set(cmd, example);
  return cmd.addHelpText('after', `\nExample:\n  ${example}`);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

function optionRow(o: Option): string {
  const shown =
    o.defaultValueDescription ??
    (o.defaultValue === undefined || typeof o.defaultValue === 'boolean' ? '' : JSON.stringify(o.defaultValue));
  const extra = [o.argChoices ? `one of ${o.argChoices.join(', ')}` : '', o.envVar ? `env ${o.envVar}` : '']
    .filter(Boolean)
    .join('; ');
  return `| \`${cell(o.flags)}\` | ${cell(o.description)}${extra ? ` (${cell(extra)})` : ''} | ${shown ? `\`${cell(shown)}\`` : ''} |`;
}

function commandSection(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
  const lines = [`## \`clientsync ${cmd.name()}${args ? ` ${args}` : ''}\``, '', `${cmd.description()}.`, ''];
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) lines.push('| flag | what it does | default |', '|---|---|---|', ...options.map(optionRow), '');
  const example = examples.get(cmd);
  if (example) lines.push('```sh', example, '```', '');
  return lines.join('\n');
}

/** docs/cli.md, from commander's own definitions: `npm run docs:cli` writes it, and a test checks it. */
export function cliReference(program: Command): string {
  return [
    '# The `clientsync` command',
    '',
    'For people who run clientsync: every command and flag, with its default. ' +
      'This page is generated from the code (`npm run docs:cli`), and a test fails when the two disagree.',
    '',
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...EXIT_CODES.map(([code, meaning]) => `| ${code} | ${meaning} |`),
    '',
    'Every command that talks to Temporal keeps trying to connect for up to 30 s (`CLIENTSYNC_CONNECT_TIMEOUT`, ' +
      'in seconds), and says once on stderr that it is waiting. `--debug`, ' +
      'before the command, adds stack traces to errors.',
    '',
    ...program.commands.map(commandSection),
  ].join('\n');
}
