import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors';
import { machineCacheDir } from '../paths';

const exec = promisify(execFile);

/** The Temporal CLI release that temporal/go.mod pins. v1.6.0+ carry a `replace` directive and cannot be built from the proxy. */
export const TEMPORAL_CLI_VERSION = '1.5.1';
/** The server and Web UI releases that CLI embeds, which the cluster's own binaries are built from (same go.sum). */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_UI_VERSION = '2.42.1';

/** One binary built from temporal/go.mod. */
export interface GoBinary {
  /** File name in the cache. */
  name: string;
  /** What it is, for people. */
  title: string;
  pkg: string;
  ldflags: string;
  /** What a cached build must say it is: a build made differently (e.g. before the version stamp) is not reused. */
  buildId: string;
  /** An environment variable that points at a binary to use instead. */
  envVar?: string;
}

/** The CLI (dev server + Web UI), built as its own release build is: stripped, its version stamped into temporalcli.Version. */
export const TEMPORAL_CLI: GoBinary = {
  name: 'temporal',
  title: `the Temporal dev server (temporal CLI v${TEMPORAL_CLI_VERSION})`,
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  ldflags: `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
  buildId: `${TEMPORAL_CLI_VERSION} stamped`,
  envVar: 'TEMPORAL_BIN',
};

/** The cluster's server, one process per service (`clientsync server --postgres`). */
export const TEMPORAL_SERVER: GoBinary = {
  name: 'temporal-server',
  title: `the Temporal server v${TEMPORAL_SERVER_VERSION}`,
  pkg: 'go.temporal.io/server/cmd/server',
  ldflags: '-s -w',
  buildId: TEMPORAL_SERVER_VERSION,
};

/** Sets up and upgrades the cluster's SQL schemas. */
export const TEMPORAL_SQL_TOOL: GoBinary = {
  name: 'temporal-sql-tool',
  title: `temporal-sql-tool v${TEMPORAL_SERVER_VERSION}`,
  pkg: 'go.temporal.io/server/cmd/tools/sql',
  ldflags: '-s -w',
  buildId: TEMPORAL_SERVER_VERSION,
};

/** Temporal Web for the cluster, standalone. */
export const TEMPORAL_UI_SERVER: GoBinary = {
  name: 'temporal-ui-server',
  title: `Temporal Web v${TEMPORAL_UI_VERSION}`,
  pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
  ldflags: '-s -w',
  buildId: TEMPORAL_UI_VERSION,
};

/** The folder of temporal/go.mod, resolved from this file in src/ or dist/. */
export const TEMPORAL_MODULE_DIR = path.resolve(__dirname, '..', '..', 'temporal');

export interface ResolvedBinary {
  path: string;
  source: 'env' | 'project-cache' | 'machine-cache' | 'built';
}

/** Where builds are cached: the git-ignored temporal/bin of this clone, then one shared by every clone on the machine. */
export function cacheDirs(): { project: string; machine: string } {
  return {
    project: path.join(TEMPORAL_MODULE_DIR, 'bin'),
    machine: path.join(machineCacheDir(), `temporal-${TEMPORAL_CLI_VERSION}`),
  };
}

const buildFile = (dir: string, bin: GoBinary) => path.join(dir, `${bin.name}.build`);

async function isCachedBuild(dir: string, bin: GoBinary): Promise<boolean> {
  try {
    const [id] = await Promise.all([readFile(buildFile(dir, bin), 'utf8'), stat(path.join(dir, bin.name))]);
    return id.trim() === bin.buildId;
  } catch {
    return false;
  }
}

/**
 * Finds a pinned binary: its environment variable, else a cached build, else builds it with Go.
 * `log` hears about the build, which takes minutes the first time.
 */
export async function resolveBinary(bin: GoBinary, log: (line: string) => void = () => {}): Promise<ResolvedBinary> {
  const fromEnv = bin.envVar ? process.env[bin.envVar] : undefined;
  if (fromEnv) {
    await stat(fromEnv).catch(() => {
      throw new UserError(`${bin.envVar}=${fromEnv} does not exist; point it at a ${bin.name} binary or unset it`);
    });
    return { path: fromEnv, source: 'env' };
  }
  const { project, machine } = cacheDirs();
  if (await isCachedBuild(project, bin)) return { path: path.join(project, bin.name), source: 'project-cache' };
  const source = (await isCachedBuild(machine, bin)) ? 'machine-cache' : 'built';
  if (source === 'built') await build(machine, bin, log);
  await installInto(project, machine, bin);
  return { path: path.join(project, bin.name), source };
}

/** The dev server's binary (the Temporal CLI). */
export const resolveTemporalBinary = (log?: (line: string) => void) => resolveBinary(TEMPORAL_CLI, log);

async function installInto(dir: string, from: string, bin: GoBinary): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${bin.name}.${process.pid}.tmp`);
  await copyFile(path.join(from, bin.name), tmp);
  await rename(tmp, path.join(dir, bin.name));
  await writeFile(buildFile(dir, bin), `${bin.buildId}\n`);
}

async function goVersion(): Promise<[number, number] | undefined> {
  try {
    const { stdout } = await exec('go', ['env', 'GOVERSION']);
    const m = /go(\d+)\.(\d+)/.exec(stdout);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  } catch {
    return undefined;
  }
}

const goEnv = () => ({ ...process.env, GOFLAGS: '-mod=readonly' });

/** Builds a pinned binary from temporal/go.mod (checksums in go.sum) into `outDir`. */
async function build(outDir: string, bin: GoBinary, log: (line: string) => void): Promise<void> {
  const v = await goVersion();
  if (!v || v[0] < 1 || (v[0] === 1 && v[1] < 25)) {
    throw new UserError(`Go ≥ 1.25 is needed to build ${bin.title} once${bin.envVar ? `, or set ${bin.envVar}` : ''}`);
  }
  await mkdir(outDir, { recursive: true });
  log(`Building ${bin.title} with Go; the first build takes a few minutes…`);
  const started = Date.now();
  const tmp = path.join(outDir, `${bin.name}.${process.pid}.tmp`);
  await exec('go', ['build', '-trimpath', '-ldflags', bin.ldflags, '-o', tmp, bin.pkg], {
    cwd: TEMPORAL_MODULE_DIR,
    env: goEnv(),
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`building ${bin.title} failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`);
  });
  await rename(tmp, path.join(outDir, bin.name));
  await writeFile(buildFile(outDir, bin), `${bin.buildId}\n`);
  log(`Built ${bin.title} in ${Math.round((Date.now() - started) / 1000)} s; cached in ${outDir}`);
}

/**
 * The server's PostgreSQL schemas (schema/postgresql/v12/{temporal,visibility}), copied from the pinned
 * module into the machine cache, so setting up a cluster needs no Go module cache afterwards.
 */
export async function resolveServerSchemas(): Promise<string> {
  const target = path.join(cacheDirs().machine, `schema-${TEMPORAL_SERVER_VERSION}`, 'postgresql', 'v12');
  if (
    await stat(path.join(target, 'temporal', 'versioned')).then(
      () => true,
      () => false,
    )
  )
    return target;
  const { stdout } = await exec('go', ['list', '-m', '-f', '{{.Dir}}', 'go.temporal.io/server'], { cwd: TEMPORAL_MODULE_DIR, env: goEnv() });
  const tmp = `${target}.${process.pid}.tmp`;
  await mkdir(path.dirname(target), { recursive: true });
  await cp(path.join(stdout.trim(), 'schema', 'postgresql', 'v12'), tmp, { recursive: true });
  await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another process put it there first
  });
  return target;
}
