import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../errors';

const exec = promisify(execFile);

/** The Temporal CLI release that temporal/go.mod pins. v1.6.0+ carry a `replace` directive and cannot be built from the proxy. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/**
 * What a cached build must say in its VERSION file: the release and how it was built. A build from before
 * the version stamp (which reported 0.0.0-DEV) is not reused.
 */
const BUILD_ID = `${TEMPORAL_CLI_VERSION} stamped`;

/** As the CLI's own release build (.goreleaser.yml): stripped, with its version stamped into temporalcli.Version. */
const LDFLAGS = `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`;

/** The folder of temporal/go.mod, resolved from this file in src/ or dist/. */
export const TEMPORAL_MODULE_DIR = path.resolve(__dirname, '..', '..', 'temporal');

export interface ResolvedBinary {
  path: string;
  source: 'TEMPORAL_BIN' | 'project-cache' | 'machine-cache' | 'built';
}

/** Where a build is cached: the git-ignored temporal/bin of this clone, then one shared by every clone on the machine. */
export function cacheDirs(): { project: string; machine: string } {
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return {
    project: path.join(TEMPORAL_MODULE_DIR, 'bin'),
    machine: path.join(cacheHome, 'clientsync', `temporal-${TEMPORAL_CLI_VERSION}`),
  };
}

async function isCachedBuild(dir: string): Promise<boolean> {
  try {
    const [version] = await Promise.all([readFile(path.join(dir, 'VERSION'), 'utf8'), stat(path.join(dir, 'temporal'))]);
    return version.trim() === BUILD_ID;
  } catch {
    return false;
  }
}

/**
 * Finds the `temporal` binary: TEMPORAL_BIN, else a cached build of the pinned version, else builds one with Go.
 * `log` hears about the build, which takes minutes the first time.
 */
export async function resolveTemporalBinary(log: (line: string) => void = () => {}): Promise<ResolvedBinary> {
  const fromEnv = process.env.TEMPORAL_BIN;
  if (fromEnv) {
    await stat(fromEnv).catch(() => {
      throw new UserError(`TEMPORAL_BIN=${fromEnv} does not exist; point it at a temporal binary or unset it`);
    });
    return { path: fromEnv, source: 'TEMPORAL_BIN' };
  }
  const { project, machine } = cacheDirs();
  if (await isCachedBuild(project)) return { path: path.join(project, 'temporal'), source: 'project-cache' };
  if (await isCachedBuild(machine)) {
    await installInto(project, path.join(machine, 'temporal'));
    return { path: path.join(project, 'temporal'), source: 'machine-cache' };
  }
  await buildTemporal(machine, log);
  await installInto(project, path.join(machine, 'temporal'));
  return { path: path.join(project, 'temporal'), source: 'built' };
}

async function installInto(dir: string, binary: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `temporal.${process.pid}.tmp`);
  await copyFile(binary, tmp);
  await rename(tmp, path.join(dir, 'temporal'));
  await writeFile(path.join(dir, 'VERSION'), `${BUILD_ID}\n`);
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

/** Builds the pinned CLI from temporal/go.mod (checksums in go.sum) into `outDir`. */
async function buildTemporal(outDir: string, log: (line: string) => void): Promise<void> {
  const v = await goVersion();
  if (!v || v[0] < 1 || (v[0] === 1 && v[1] < 25)) {
    throw new UserError('Go ≥ 1.25 is needed to build the Temporal dev server once, or set TEMPORAL_BIN');
  }
  await mkdir(outDir, { recursive: true });
  log(`Building the Temporal dev server (temporal CLI v${TEMPORAL_CLI_VERSION}) with Go; the first build takes a few minutes…`);
  const started = Date.now();
  const tmp = path.join(outDir, `temporal.${process.pid}.tmp`);
  await exec('go', ['build', '-trimpath', '-ldflags', LDFLAGS, '-o', tmp, 'github.com/temporalio/cli/cmd/temporal'], {
    cwd: TEMPORAL_MODULE_DIR,
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`building the Temporal dev server failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`);
  });
  await rename(tmp, path.join(outDir, 'temporal'));
  await writeFile(path.join(outDir, 'VERSION'), `${BUILD_ID}\n`);
  log(`Built the Temporal dev server in ${Math.round((Date.now() - started) / 1000)} s; cached in ${outDir}`);
}
