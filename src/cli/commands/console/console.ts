import { readFile } from 'node:fs/promises';
import { UserError } from '../../../contract/errors';
import { temporalTarget } from '../../../connection/connection';
import type { OidcSettings } from '../../../console/auth/oidc';
import { hashPassword } from '../../../console/auth/passwords';
import { startConsole } from '../../../console/serve-console';
import { untilSignal, type CliIO } from '../../io';
import { readAll } from '../../token-input';
import { webUrl } from '../../web-link';

export interface ConsoleCommandOptions {
  listen: string;
  publicUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  passwordFile?: string;
  viewerPasswordFile?: string;
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretFile?: string;
  operators?: string;
  operatorGroup?: string;
  hashPassword?: boolean;
}

/** `clientsync console`: serves the console until Ctrl-C; or, with --hash-password, prints a password's hash. */
export async function consoleCommand(opts: ConsoleCommandOptions, io: CliIO): Promise<void> {
  if (opts.hashPassword) {
    const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    if (password.length < 12) throw new UserError('--hash-password read a password shorter than 12 characters');
    return io.out(await hashPassword(password));
  }
  if (!!opts.tlsCert !== !!opts.tlsKey) throw new UserError('--tls-cert and --tls-key go together; pass both');
  const address = temporalTarget().address;
  const running = await startConsole({
    listen: opts.listen,
    publicUrl: opts.publicUrl,
    ...(opts.tlsCert && opts.tlsKey ? { tls: { certFile: opts.tlsCert, keyFile: opts.tlsKey } } : {}),
    operatorFile: opts.passwordFile,
    viewerFile: opts.viewerPasswordFile,
    oidc: await oidcSettings(opts),
    webLink: (batchId, namespace) => webUrl(batchId, namespace, address),
    log: (line) => io.err(`${new Date().toISOString()} ${line}`),
  });
  io.out(`Console: ${running.url}`);
  await untilSignal();
  await running.close();
}

/** The OIDC provider's settings, from flags or the environment; the secret never from argv. */
async function oidcSettings(opts: ConsoleCommandOptions, env = process.env): Promise<OidcSettings | undefined> {
  const issuer = opts.oidcIssuer ?? env.CLIENTSYNC_OIDC_ISSUER;
  if (!issuer) return undefined;
  const clientId = opts.oidcClientId ?? env.CLIENTSYNC_OIDC_CLIENT_ID;
  if (!clientId) throw new UserError('--oidc-issuer needs --oidc-client-id (or CLIENTSYNC_OIDC_CLIENT_ID)');
  const clientSecret = opts.oidcClientSecretFile
    ? (
        await readFile(opts.oidcClientSecretFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new UserError(
            `--oidc-client-secret-file ${opts.oidcClientSecretFile} cannot be read (${err.code ?? err.message}); check the path`,
          );
        })
      ).trim()
    : env.CLIENTSYNC_OIDC_CLIENT_SECRET;
  const operators = (opts.operators ?? env.CLIENTSYNC_CONSOLE_OPERATORS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!operators.length && !opts.operatorGroup)
    throw new UserError('with --oidc-issuer, say who may act: --operators EMAILS or --operator-group GROUP');
  return {
    issuer,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    operators,
    ...(opts.operatorGroup ? { operatorGroup: opts.operatorGroup } : {}),
  };
}
