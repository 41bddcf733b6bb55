import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { UserError } from '../contract/errors';
import { DYNAMIC_CONFIG_FILE, older, type Release } from './provision';

// Most people who use Temporal have its CLI, whose `server start-dev` needs no build. clientsync runs it when
// TEMPORAL_CLI names one, or one is on the PATH, and its server is recent enough.

const exec = promisify(execFile);

/** The oldest server a batch runs well on: from 1.32 it tells a pinned batch that a new build is current. */
export const MIN_CLI_SERVER: Release = [1, 32, 0];

export interface TemporalCli {
  path: string;
  /** Named by TEMPORAL_CLI, not found on the PATH. */
  named: boolean;
  version: string;
  /** The server and Temporal Web it embeds. */
  server: string;
  ui: string;
}

/** The CLI that TEMPORAL_CLI names (which must run), else the first `temporal` on the PATH, if any. */
export async function findTemporalCli(env: NodeJS.ProcessEnv = process.env): Promise<TemporalCli | undefined> {
  const named = env.TEMPORAL_CLI;
  const file = named || (await onPath('temporal', env.PATH ?? ''));
  if (!file) return undefined;
  const stdout = await exec(file, ['--version'], { timeout: 10_000 }).then(
    (r) => r.stdout,
    () => '',
  );
  const m = /temporal version (\S+) \(Server (\S+), UI (\S+)\)/.exec(stdout);
  if (!m) {
    if (named)
      throw new UserError(`TEMPORAL_CLI=${named} is not a temporal CLI that runs here; fix the path or unset it`);
    return undefined;
  }
  return { path: file, named: Boolean(named), version: m[1]!, server: m[2]!, ui: m[3]! };
}

/** Why the CLI's server will not do, or undefined when it will. */
export function cliServerTooOld(cli: TemporalCli): string | undefined {
  const release = cli.server.split('.').map((n) => Number.parseInt(n, 10) || 0) as Release;
  if (!older(release, MIN_CLI_SERVER)) return undefined;
  return (
    `${describeCli(cli)} runs server v${cli.server}; clientsync needs v${MIN_CLI_SERVER.join('.')} or later, ` +
    'whose server tells a pinned batch that a new build is current'
  );
}

/** `the temporal CLI v1.9.1 on the PATH (/usr/local/bin/temporal)`. */
export function describeCli(cli: TemporalCli): string {
  return `the temporal CLI v${cli.version} ${cli.named ? 'named by TEMPORAL_CLI' : 'on the PATH'} (${cli.path})`;
}

/** `server start-dev`'s arguments for clientsync: loopback, the database file, and clientsync's dynamic config. */
export async function startDevArgs(opts: {
  port: number;
  uiPort: number;
  dbFile: string;
  headless?: boolean;
  /** SQLite pragmas, as the built server gets them. */
  pragmas?: Record<string, string>;
}): Promise<string[]> {
  const ui = opts.headless ? ['--headless'] : ['--ui-port', String(opts.uiPort)];
  const pragmas = Object.entries(opts.pragmas ?? {}).flatMap(([k, v]) => ['--sqlite-pragma', `${k}=${v}`]);
  const config = (await dynamicConfigValues()).flatMap((v) => ['--dynamic-config-value', v]);
  return [
    ...['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), ...ui],
    ...['--db-filename', opts.dbFile, ...pragmas, '--log-level', 'warn', ...config],
  ];
}

/** The dynamic config every server clientsync runs reads, as `KEY=JSON` values: each key's unconstrained value. */
export async function dynamicConfigValues(file = DYNAMIC_CONFIG_FILE): Promise<string[]> {
  const doc = parse(await readFile(file, 'utf8')) as Record<string, Array<{ value: unknown; constraints?: object }>>;
  return Object.entries(doc).flatMap(([key, entries]) => {
    const plain = entries.find((e) => !e.constraints || Object.keys(e.constraints).length === 0);
    return plain ? [`${key}=${JSON.stringify(plain.value)}`] : [];
  });
}

async function onPath(name: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  return undefined;
}
