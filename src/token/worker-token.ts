import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** No token could be had from the workers' own source. */
export class NoTokenError extends Error {
  override name = 'NoTokenError';
}

/**
 * The workers' own token source, used when a batch or a `tokenRefreshed` signal carries no token:
 * API_TOKEN_COMMAND (its stdout), else API_TOKEN_FILE, else API_TOKEN. Read again on each refresh.
 */
export async function readWorkerToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.API_TOKEN_COMMAND) {
    const { stdout } = await exec('/bin/sh', ['-c', env.API_TOKEN_COMMAND], { timeout: 30_000 });
    const token = stdout.trim();
    if (!token) throw new NoTokenError('API_TOKEN_COMMAND printed no token');
    return token;
  }
  if (env.API_TOKEN_FILE) {
    const token = (await readFile(env.API_TOKEN_FILE, 'utf8')).trim();
    if (!token) throw new NoTokenError(`API_TOKEN_FILE ${env.API_TOKEN_FILE} is empty`);
    return token;
  }
  if (env.API_TOKEN) return env.API_TOKEN.trim();
  throw new NoTokenError('no token: the batch carries none and the worker has no API_TOKEN, API_TOKEN_FILE or API_TOKEN_COMMAND');
}
