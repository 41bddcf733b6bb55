import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../contract/errors';
import { machineCacheDir } from '../domain/paths';
import { spawnTied } from './tied-spawn';

const exec = promisify(execFile);

/** The server and Web releases that temporal/server/go.mod pins: the dev server and the cluster run them. */
export const TEMPORAL_SERVER_VERSION = '1.32.1';
export const TEMPORAL_UI_VERSION = '2.54.1';
/** The Temporal CLI that temporal/cli/go.mod pins, for operator commands. v1.6.0+ cannot be built from the proxy. */
export const TEMPORAL_CLI_VERSION = '1.5.1';

/** The folder of the Go modules, resolved from this file in src/ or dist/. */
export const TEMPORAL_DIR = path.resolve(__dirname, '..', '..', 'temporal');

/** The servers' dynamic config: the same keys for the dev server, the cluster and docker compose. */
export const DYNAMIC_CONFIG_FILE = path.join(TEMPORAL_DIR, 'dynamicconfig', 'development.yaml');

/** A short hash of a source file of ours, so a changed tool is built again. */
function sourceHash(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  } catch {
    return 'missing';
  }
}

/** One binary built from a Go module under temporal/. */
export interface GoBinary {
  /** File name in the cache. */
  name: string;
  /** What it is, for people. */
  title: string;
  /** The module folder under temporal/ whose go.mod and go.sum pin it. */
  module: 'server' | 'cli';
  pkg: string;
  ldflags: string;
  /** What a cached build must say it is: a build made differently is not reused. */
  buildId: string;
  /**
   * About how long its first build takes on 2 cores with empty Go caches (modules fetched from the proxy), as
   * measured by a fresh clone's CI: for the line that announces it, and for the time left while few packages
   * are compiled.
   */
  coldSeconds: number;
  /** When that build happens, if not at once: "once the server is built". */
  coldWhen?: string;
  /** An environment variable that points at a binary to use instead. */
  envVar?: string;
}

/** The server: all four services in one process on SQLite, or one service per process on PostgreSQL. */
export const TEMPORAL_SERVER: GoBinary = {
  name: 'temporal-server',
  title: `the Temporal server v${TEMPORAL_SERVER_VERSION}`,
  module: 'server',
  pkg: 'go.temporal.io/server/cmd/server',
  ldflags: '-s -w',
  buildId: TEMPORAL_SERVER_VERSION,
  coldSeconds: 300,
  envVar: 'TEMPORAL_SERVER_BIN',
};

/** Readies a SQLite file before the dev server starts: schema and namespace (temporal/server/sqlite-prepare). */
export const SQLITE_PREPARE: GoBinary = {
  name: 'sqlite-prepare',
  title: 'the SQLite preparer',
  module: 'server',
  pkg: './sqlite-prepare',
  ldflags: '-s -w',
  buildId: `${TEMPORAL_SERVER_VERSION} ${sourceHash(path.join(TEMPORAL_DIR, 'server', 'sqlite-prepare', 'main.go'))}`,
  coldSeconds: 10,
  coldWhen: 'once the server is built',
};

/** Sets up and upgrades the cluster's SQL schemas. */
export const TEMPORAL_SQL_TOOL: GoBinary = {
  name: 'temporal-sql-tool',
  title: `temporal-sql-tool v${TEMPORAL_SERVER_VERSION}`,
  module: 'server',
  pkg: 'go.temporal.io/server/cmd/tools/sql',
  ldflags: '-s -w',
  buildId: TEMPORAL_SERVER_VERSION,
  coldSeconds: 10,
  coldWhen: 'once the server is built',
};

/** Temporal Web, beside either server. */
export const TEMPORAL_UI_SERVER: GoBinary = {
  name: 'temporal-ui-server',
  title: `Temporal Web v${TEMPORAL_UI_VERSION}`,
  module: 'server',
  pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
  ldflags: '-s -w',
  buildId: TEMPORAL_UI_VERSION,
  coldSeconds: 10,
  coldWhen: 'in the background, once the server is built',
};

/** The CLI, built as its own release build is: stripped, its version stamped into temporalcli.Version. */
export const TEMPORAL_CLI: GoBinary = {
  name: 'temporal',
  title: `the Temporal CLI v${TEMPORAL_CLI_VERSION}`,
  module: 'cli',
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  ldflags: `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
  buildId: `${TEMPORAL_CLI_VERSION} stamped`,
  coldSeconds: 240,
  envVar: 'TEMPORAL_CLI',
};

export interface ResolvedBinary {
  path: string;
  source: 'env' | 'project-cache' | 'machine-cache' | 'built';
}

/**
 * Where builds are cached: the git-ignored temporal/bin of this clone, then one shared by every clone on the machine.
 */
export function cacheDirs(): { project: string; machine: string } {
  return { project: path.join(TEMPORAL_DIR, 'bin'), machine: path.join(machineCacheDir(), 'temporal-bin') };
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

/** Where a build's lines go; with `redraw`, its progress line is redrawn in place (a terminal). */
export type BuildLog = ((line: string) => void) & { redraw?: (line: string) => void };

/**
 * Finds a pinned binary: its environment variable, else a cached build, else builds it with Go.
 * `log` hears about the build, which takes minutes the first time, and its progress.
 */
export async function resolveBinary(
  bin: GoBinary,
  log: BuildLog = () => {},
  signal?: AbortSignal,
): Promise<ResolvedBinary> {
  const fromEnv = bin.envVar ? process.env[bin.envVar] : undefined;
  if (fromEnv) {
    await stat(fromEnv).catch(() => {
      throw new UserError(`${bin.envVar}=${fromEnv} does not exist; point it at a ${bin.name} binary or unset it`);
    });
    return { path: fromEnv, source: 'env' };
  }
  const { project, machine } = cacheDirs();
  if (await isCachedBuild(project, bin)) return { path: path.join(project, bin.name), source: 'project-cache' };
  const release = await lockBuild(machine, bin, log, signal);
  try {
    const source = (await isCachedBuild(machine, bin)) ? 'machine-cache' : 'built';
    if (source === 'built') await build(machine, bin, log, signal);
    await installInto(project, machine, bin);
    return { path: path.join(project, bin.name), source };
  } finally {
    await release().catch(() => {}); // a lock taken over meanwhile is no longer ours to release
  }
}

/**
 * One build of a binary on a machine at a time: a second process that needs it (two commands, two test files)
 * waits for the first and takes its build, instead of compiling the same packages beside it. A lock whose
 * holder died is taken over once it is a minute old.
 */
async function lockBuild(
  machine: string,
  bin: GoBinary,
  log: BuildLog,
  signal?: AbortSignal,
): Promise<() => Promise<void>> {
  // Loaded only by a process that builds: it registers exit handlers to remove its locks.
  const { default: lockfile } = await import('proper-lockfile');
  await mkdir(machine, { recursive: true });
  const options = {
    realpath: false, // the binary's own path, which need not exist yet, keys the lock
    stale: 60_000,
    onCompromised: () => {}, // two builds at once only cost time: each writes its own file, then renames it
  };
  for (let said = false; ; said = true) {
    try {
      return await lockfile.lock(path.join(machine, bin.name), options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    if (!said) log(`Waiting for another process on this machine that builds ${bin.title}…`);
    await sleep(1000, undefined, { signal });
  }
}

async function installInto(dir: string, from: string, bin: GoBinary): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${bin.name}.${process.pid}.tmp`);
  await copyFile(path.join(from, bin.name), tmp);
  await rename(tmp, path.join(dir, bin.name));
  await writeFile(buildFile(dir, bin), `${bin.buildId}\n`);
}

async function goVersion(): Promise<Release | undefined> {
  try {
    const { stdout } = await exec('go', ['env', 'GOVERSION']);
    const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(stdout);
    return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
  } catch {
    return undefined;
  }
}

/** The Go release the module's go.mod asks for (its `go` line). */
async function goNeeded(bin: GoBinary): Promise<Release> {
  const mod = await readFile(path.join(TEMPORAL_DIR, bin.module, 'go.mod'), 'utf8');
  const m = /^go (\d+)\.(\d+)(?:\.(\d+))?/m.exec(mod);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [1, 25, 0];
}

/** A release as major, minor and patch: Go's, or a Temporal server's. */
export type Release = [number, number, number];
export const older = (a: Release, b: Release) =>
  a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
const goEnv = () => ({ ...process.env, GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' });

/** Builds a pinned binary from its module (checksums in go.sum) into `outDir`; it dies with clientsync. */
async function build(outDir: string, bin: GoBinary, log: BuildLog, signal?: AbortSignal): Promise<void> {
  const [have, need] = [await goVersion(), await goNeeded(bin)];
  if (!have || older(have, need)) {
    const alt = bin.envVar ? `, or set ${bin.envVar}` : '';
    throw new UserError(
      `Go ${need.join('.')} or later is needed to build ${bin.title} once (found ${have ? have.join('.') : 'no go on PATH'})${alt}`,
    );
  }
  await mkdir(outDir, { recursive: true });
  const when = bin.coldWhen ? `, ${bin.coldWhen}` : '';
  log(`Building ${bin.title} with Go, once for this machine (about ${duration(bin.coldSeconds)} on 2 cores${when})…`);
  const progress = new BuildProgress(bin, log);
  const tmp = path.join(outDir, `${bin.name}.${process.pid}.tmp`);
  const cwd = path.join(TEMPORAL_DIR, bin.module);
  try {
    // The packages to compile, for "N of M": listing them first fetches the modules they come from.
    progress.total = (await goRun(['list', '-deps', bin.pkg], cwd, signal)).split('\n').filter(Boolean).length;
    await goRun(['build', '-v', '-trimpath', '-ldflags', bin.ldflags, '-o', tmp, bin.pkg], cwd, signal, (line) =>
      progress.compiled(line),
    );
  } catch (err) {
    throw new Error(`building ${bin.title} failed: ${(err as Error).message}`);
  } finally {
    progress.stop();
  }
  await rename(tmp, path.join(outDir, bin.name));
  await writeFile(buildFile(outDir, bin), `${bin.buildId}\n`);
  log(`Built ${bin.title} in ${progress.elapsedText()}; cached in ${outDir}`);
}

/** How often the progress of a build is said off a terminal (on one, the line is redrawn every second). */
const PROGRESS_EVERY_MS = 30_000;

/**
 * The progress of one build, on one line: packages compiled out of the total, the time so far, and the time
 * left at the pace so far. Redrawn every second when the log can redraw (a terminal), else said every 30 s.
 */
class BuildProgress {
  total = 0;
  private done = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly bin: GoBinary,
    private readonly log: BuildLog,
  ) {
    const every = log.redraw ? 1000 : PROGRESS_EVERY_MS;
    this.timer = setInterval(() => (log.redraw ?? log)(this.line()), every);
    this.timer.unref();
  }

  /** `go build -v` names each package as it compiles it; other lines are errors, kept by goRun. */
  compiled(line: string): void {
    if (/^[\w.\-/]+$/.test(line)) this.done++;
  }

  elapsedText(): string {
    return duration((Date.now() - this.started) / 1000);
  }

  line(): string {
    if (!this.total) return `${this.bin.title}: fetching its Go modules, ${this.elapsedText()} so far`;
    const ratio = Math.min(1, this.done / this.total);
    const left = ratio > 0 && ratio < 1 ? `, about ${duration(this.secondsLeft(ratio))} left` : '';
    return `${this.bin.title}: ${this.done} of ${this.total} packages compiled, ${this.elapsedText()} so far${left}`;
  }

  /**
   * Packages differ in size, so the pace so far misleads while few are compiled: the time left leans on the
   * cold-build estimate at first and on the pace so far as more are done.
   */
  private secondsLeft(ratio: number): number {
    const elapsed = (Date.now() - this.started) / 1000;
    const byPace = (elapsed / ratio) * (1 - ratio);
    const byEstimate = this.bin.coldSeconds > elapsed ? this.bin.coldSeconds - elapsed : byPace;
    return (1 - ratio) * byEstimate + ratio * byPace;
  }

  stop(): void {
    clearInterval(this.timer);
    this.log.redraw?.('');
  }
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const [min, s] = [Math.floor(seconds / 60), Math.round(seconds % 60)];
  return s === 0 ? `${min} min` : s === 60 ? `${min + 1} min` : `${min} min ${s} s`;
}

/**
 * `go …` in a module folder, tied to this process (and to `signal`) so a stopped clientsync leaves no build
 * running; its stdout, and each line of its stderr to `onLine`.
 */
function goRun(args: string[], cwd: string, signal?: AbortSignal, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('stopped'));
    const child = spawnTied('go', args, { cwd, env: goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    signal?.addEventListener('abort', () => child.kill('SIGTERM'), { once: true });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        onLine?.(line);
        if (!/^[\w.\-/]+$/.test(line)) stderr = (stderr + line + '\n').slice(-8000); // errors, not package names
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error((stderr.trim() || `go exited with ${signal ?? code}`).split('\n').slice(-3).join(' | ')));
    });
  });
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
  const { stdout } = await exec('go', ['list', '-m', '-f', '{{.Dir}}', 'go.temporal.io/server'], {
    cwd: path.join(TEMPORAL_DIR, 'server'),
    env: goEnv(),
  });
  const tmp = `${target}.${process.pid}.tmp`;
  await mkdir(path.dirname(target), { recursive: true });
  await cp(path.join(stdout.trim(), 'schema', 'postgresql', 'v12'), tmp, { recursive: true });
  await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // another process put it there first
  });
  return target;
}
