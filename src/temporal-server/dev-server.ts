import Database from 'better-sqlite3';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { searchAttributeKeys } from '../contract/search-attributes';
import { serverAnswers } from '../connection/connection';
import { prepareNamespace } from './namespace';
import {
  DYNAMIC_CONFIG_FILE,
  resolveBinary,
  SQLITE_PREPARE,
  TEMPORAL_SERVER,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
  type BuildLog,
} from './provision';
import { cliServerTooOld, describeCli, findTemporalCli, startDevArgs, type TemporalCli } from './temporal-cli';
import { renderServerConfig, SERVICES, type ServicePorts } from './server-config';
import { recordServer, type ServerNote } from '../domain/server-record';
import { spawnTied } from './tied-spawn';
import { startWeb, type Web } from './web';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DevServerOptions {
  /** gRPC port (default 7233). */
  port?: number;
  /** Temporal Web port (default 8233). */
  uiPort?: number;
  /** SQLite file; batches survive a restart on the same file. */
  dbFile: string;
  /** Disable Temporal Web (tests that do not look at it start faster). */
  headless?: boolean;
  log?: BuildLog;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  /** Temporal Web, unless headless: its `ready` resolves once the page answers. */
  web: Web | undefined;
  child: ChildProcess;
  /** Which server runs: `server v1.32.1, Web v2.54.1`, or the temporal CLI's. */
  runs: string;
  /** The last line the server wrote: why it stopped, when it stopped by itself. */
  lastWords(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

const exec = promisify(execFile);
const LOOPBACK = '127.0.0.1';

/**
 * SQLite pragmas: WAL with synchronous=NORMAL, so a crashed server loses nothing and only a power cut can lose
 * the last commits. Measured: ~15% more calls/s than SQLite's defaults (bench/README.md).
 */
export function sqlitePragmas(
  spec = process.env.CLIENTSYNC_SQLITE_PRAGMAS ?? 'journal_mode=wal,synchronous=normal',
): Record<string, string> {
  return Object.fromEntries(
    spec
      .split(',')
      .filter(Boolean)
      .map((p) => p.split('=', 2) as [string, string]),
  );
}

/** The frontend on `port`; every other service and membership port is one the OS has free. */
async function devServicePorts(port: number): Promise<ServicePorts> {
  const [frontendMembership, ...rest] = await Promise.all(
    Array.from({ length: SERVICES.length * 2 - 1 }, () => freePort(LOOPBACK)),
  );
  const pair = (i: number) => ({ grpc: rest[2 * i]!, membership: rest[2 * i + 1]! });
  return {
    frontend: { grpc: port, membership: frontendMembership! },
    history: pair(0),
    matching: pair(1),
    worker: pair(2),
  };
}

/**
 * Starts the Temporal server on a SQLite file, all services in one process bound to loopback, and resolves once
 * it answers with namespace `default` and clientsync's search attributes. Temporal Web starts beside it.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const port = options.port ?? 7233;
  const address = `${LOOPBACK}:${port}`;
  const note = recordServer(address); // commands wait for a server that is coming up, even while it is built
  try {
    return await startNoted(options, address, note);
  } catch (err) {
    note.forget();
    throw err;
  }
}

async function startNoted(options: DevServerOptions, address: string, note: ServerNote): Promise<DevServer> {
  const log = options.log ?? (() => {});
  const cli = process.env.TEMPORAL_SERVER_BIN ? undefined : await usableCli(log);
  return cli ? startWithCli(cli, options, address, note) : startBuilt(options, address, note, log);
}

/** A temporal CLI to run the dev server with, if one is there and its server will do (else says why not). */
async function usableCli(log: BuildLog): Promise<TemporalCli | undefined> {
  const cli = await findTemporalCli();
  if (!cli) return undefined;
  const tooOld = cliServerTooOld(cli);
  if (tooOld) log(`${tooOld}: running clientsync's own Temporal server instead.`);
  return tooOld ? undefined : cli;
}

/** `temporal server start-dev` on the SQLite file, with clientsync's dynamic config: nothing to build. */
async function startWithCli(
  cli: TemporalCli,
  options: DevServerOptions,
  address: string,
  note: ServerNote,
): Promise<DevServer> {
  const uiPort = options.uiPort ?? 8233;
  const dbFile = path.resolve(options.dbFile);
  await mkdir(path.dirname(dbFile), { recursive: true });
  const port = options.port ?? 7233;
  const args = await startDevArgs({ port, uiPort, dbFile, headless: options.headless, pragmas: sqlitePragmas() });
  const child = spawnTied(cli.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = watchExit(child);
  const stop = stopper(child, exit);
  try {
    await untilAnswers(address, exit);
    await prepareNamespace(address);
  } catch (err) {
    await stop();
    throw err;
  }
  const web = options.headless ? undefined : embeddedWeb(`http://${LOOPBACK}:${uiPort}`);
  note.ready(web?.url);
  void exit.promise.then(note.forget);
  const runs = `${describeCli(cli)}: server v${cli.server}, Web v${cli.ui}`;
  return { address, uiUrl: web?.url, web, child, runs, stop, lastWords: exit.lastLine };
}

/** The Web a temporal CLI serves itself: ready once its page answers. */
function embeddedWeb(url: string): Web {
  const ready = (async () => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
      if (
        await fetch(url).then(
          (r) => r.ok,
          () => false,
        )
      )
        return true;
    }
    return false;
  })();
  return { url, ready, process: () => undefined, stop: async () => {} };
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone. */
function stopper(child: ChildProcess, exit: ExitWatch): () => Promise<void> {
  return async () => {
    if (exit.code() !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit.promise;
    clearTimeout(timer);
  };
}

/** The server clientsync builds from source (or TEMPORAL_SERVER_BIN), with Temporal Web beside it. */
async function startBuilt(
  options: DevServerOptions,
  address: string,
  note: ServerNote,
  log: BuildLog,
): Promise<DevServer> {
  const port = options.port ?? 7233;
  const binary = await resolveBinary(TEMPORAL_SERVER, log);
  const dbFile = path.resolve(options.dbFile);
  await mkdir(path.dirname(dbFile), { recursive: true });
  await prepareSqlite(dbFile, log);
  // Beside the database: the server's and Web's command lines then name the folder they serve.
  const configDir = path.join(path.dirname(dbFile), 'temporal-config', String(port));
  await mkdir(configDir, { recursive: true });
  const launch = { port, dbFile, configDir, address, log };
  const {
    child,
    exit,
    stop: stopServer,
  } = await launchServer(binary.path, launch).catch(async (err: Error) => {
    await rm(configDir, { recursive: true, force: true });
    throw err;
  });
  void exit.promise.then(() => rm(configDir, { recursive: true, force: true }));
  const web = options.headless
    ? undefined
    : startWeb({
        grpcAddress: address,
        ip: LOOPBACK,
        port: options.uiPort ?? 8233,
        dir: path.join(configDir, 'web'),
        log,
      });
  note.ready(web?.url);
  void exit.promise.then(note.forget);
  const stop = async () => {
    await web?.stop();
    await stopServer();
  };
  return {
    address,
    uiUrl: web?.url,
    web,
    child,
    runs: `server v${TEMPORAL_SERVER_VERSION}, Web v${TEMPORAL_UI_VERSION}`,
    stop,
    lastWords: exit.lastLine,
  };
}

interface Launch {
  port: number;
  dbFile: string;
  configDir: string;
  address: string;
  log: BuildLog;
}

/**
 * The server, answering with its namespace. Its services' ports were free a moment before it binds them, and another
 * process may take one meanwhile (a connection's local port comes from the same range): the server then stops at
 * once, and starts again on others.
 */
async function launchServer(
  binaryPath: string,
  at: Launch,
): Promise<{ child: ChildProcess; exit: ExitWatch; stop: () => Promise<void> }> {
  for (let attempt = 1; ; attempt++) {
    forgetLastMembers(at.dbFile);
    const ports = await devServicePorts(at.port);
    const config = renderServerConfig({
      store: { kind: 'sqlite', file: at.dbFile, pragmas: sqlitePragmas() },
      ip: LOOPBACK,
      ports,
      historyShards: 1,
      dynamicConfigFile: DYNAMIC_CONFIG_FILE,
    });
    await writeFile(path.join(at.configDir, 'dev.yaml'), config);
    const args = ['--root', '/', '--config', at.configDir, '--env', 'dev', '--allow-no-auth', 'start'];
    const child = spawnTied(binaryPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = watchExit(child);
    const stop = stopper(child, exit);
    try {
      await untilAnswers(at.address, exit);
      await prepareNamespace(at.address);
      return { child, exit, stop };
    } catch (err) {
      await stop();
      const taken = takenPort(exit.output());
      const ours = Object.values(ports).flatMap((p) => [p.grpc, p.membership]);
      if (attempt === 3 || taken === undefined || taken === at.port || !ours.includes(taken)) throw err;
      at.log(`Port ${taken} was taken before the Temporal server could bind it; starting it on other ports.`);
    }
  }
}

/** The port a Go server could not bind, from its fatal log line. */
function takenPort(output: string): number | undefined {
  const m = /listen tcp [\d.]+:(\d+): bind: address already in use/.exec(output);
  return m ? Number(m[1]) : undefined;
}

/**
 * Schema and namespace in the file before the server starts: it answers with `default` ready, as Temporal's own dev
 * server does.
 */
async function prepareSqlite(dbFile: string, log: (line: string) => void): Promise<void> {
  const tool = await resolveBinary(SQLITE_PREPARE, log);
  const attributes = searchAttributeKeys.flatMap((key) => ['-search-attribute', `${key.name}=${shorthand(key.type)}`]);
  await exec(tool.path, ['-db', dbFile, '-namespace', 'default', '-retention', '72h', ...attributes]).catch(
    (err: { stderr?: string; message: string }) => {
      throw new Error(`the SQLite file ${dbFile} could not be prepared: ${(err.stderr || err.message).trim()}`);
    },
  );
}

/**
 * A server that stopped, or crashed, leaves its services' rows in the membership table, at ports chosen afresh
 * at each start. The next server would try to join those dead addresses first, and serve nothing for about a
 * minute. A dev server owns its file, so the rows of the last one go before it starts.
 */
function forgetLastMembers(dbFile: string): void {
  const db = new Database(dbFile);
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cluster_membership'").get();
    if (table) db.prepare('DELETE FROM cluster_membership').run();
  } finally {
    db.close();
  }
}

/** KEYWORD → Keyword, as Temporal's enum shorthand names the types. */
const shorthand = (type: string) =>
  type
    .split('_')
    .map((w) => w[0] + w.slice(1).toLowerCase())
    .join('');

interface ExitWatch {
  promise: Promise<void>;
  code(): number | null;
  /**
   * What it wrote: the first lines say why it stopped (a Go panic's message comes before its stack), the last where.
   */
  output(): string;
  /** Its last line. */
  lastLine(): string;
}

function watchExit(child: ChildProcess): ExitWatch {
  let head = '';
  let tail = '';
  const keep = (chunk: Buffer) => {
    if (head.length < 1200) head = (head + chunk.toString()).slice(0, 1200);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let code: number | null = null;
  // 'close', not 'exit': it comes once the pipes are drained, so what the process wrote last is kept.
  const promise = new Promise<void>((resolve) => child.once('close', (c) => ((code = c ?? -1), resolve())));
  return {
    promise,
    code: () => code,
    lastLine: () =>
      tail
        .trim()
        .split('\n')
        .filter((l) => l.trim())
        .at(-1) ?? `exit code ${code}`,
    output: () => {
      const end = tail.trim().slice(-800);
      return `${head.trim()}${end && !head.includes(end) ? ` … ${end}` : ''}`;
    },
  };
}

async function untilAnswers(address: string, exit: ExitWatch, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await serverAnswers(address, 500))) {
    if (exit.code() !== null) throw new Error(`the Temporal server exited with code ${exit.code()}: ${exit.output()}`);
    if (Date.now() > deadline)
      throw new Error(
        `the Temporal server did not answer at ${address} within ${timeoutMs / 1000} s: ${exit.output()}`,
      );
    await sleep(100);
  }
}
