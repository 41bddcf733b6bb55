import { readFile } from 'node:fs/promises';
import { UserError } from '../contract/errors';
import type { CliIO } from './io';

export interface TokenFlags {
  tokenFile?: string;
  tokenStdin?: boolean;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The API token from --token-file, --token-stdin or env API_TOKEN, in that order; undefined when none is given.
 * There is deliberately no flag that takes the token itself: argv is visible to every user of the machine.
 */
export async function readTokenInput(flags: TokenFlags, io: CliIO, env = process.env): Promise<string | undefined> {
  if (flags.tokenFile && flags.tokenStdin) throw new UserError('give either --token-file or --token-stdin, not both');
  let token: string | undefined;
  if (flags.tokenFile) {
    token = await readFile(flags.tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UserError(
        `--token-file ${flags.tokenFile} cannot be read (${err.code ?? err.message}); check the path`,
      );
    });
    if (!token.trim()) throw new UserError(`--token-file ${flags.tokenFile} is empty; put the API token in it`);
  } else if (flags.tokenStdin) {
    token = await readAll(io.stdin);
    if (!token.trim()) throw new UserError('--token-stdin read nothing; pipe the API token in');
  } else {
    token = env.API_TOKEN;
  }
  return token?.trim() || undefined;
}
