import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PostgresTarget } from './cluster-config';

const exec = promisify(execFile);

/** Runs temporal-sql-tool against one database; the password goes through the environment, never argv. */
async function sqlTool(tool: string, target: PostgresTarget, database: string, args: string[]): Promise<string> {
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: target.host,
    SQL_PORT: String(target.port),
    SQL_USER: target.user,
    SQL_PASSWORD: target.password,
    SQL_DATABASE: database,
  };
  try {
    const { stdout, stderr } = await exec(tool, args, { env, maxBuffer: 16 << 20 });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const why = (e.stderr || e.stdout || e.message).trim().split('\n').slice(-2).join(' | ');
    throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${why}`);
  }
}

async function withAdmin<T>(target: PostgresTarget, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function hasSchemaVersion(target: PostgresTarget, database: string): Promise<boolean> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database,
  });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT to_regclass('schema_version') IS NOT NULL AS present");
    return rows[0]?.present === true;
  } finally {
    await client.end();
  }
}

/**
 * Sets up or upgrades the persistence schema in `<database>` and the visibility schema in
 * `<database>_visibility`, creating the databases when they are missing (and the role may). Running it
 * again changes nothing: setup runs only where there is no schema yet, and update-schema stops at the
 * current version.
 */
export async function ensureClusterSchemas(
  tool: string,
  schemas: string,
  target: PostgresTarget,
  log: (line: string) => void,
): Promise<void> {
  const pairs: Array<[string, string]> = [
    [target.database, 'temporal'],
    [`${target.database}_visibility`, 'visibility'],
  ];
  const existing = await withAdmin(target, async (c) =>
    (await c.query('SELECT datname FROM pg_database')).rows.map((r) => String(r.datname)),
  );
  for (const [database, kind] of pairs) {
    if (!existing.includes(database)) {
      await sqlTool(tool, target, database, ['create-database']);
      log(`Created database ${database}.`);
    }
    if (!(await hasSchemaVersion(target, database))) {
      await sqlTool(tool, target, database, ['setup-schema', '-v', '0.0']);
    }
    await sqlTool(tool, target, database, ['update-schema', '-d', path.join(schemas, kind, 'versioned')]);
  }
}
