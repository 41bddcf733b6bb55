import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { UserError } from '../contract/errors';
import { isLoopback } from '../domain/loopback';
import { connectClient } from '../connection/connection';
import { openResultsStore } from '../store/results-store';
import { consoleKey } from '../token/console-keys';
import { loadSealKey } from '../token/seal';
import { loadPasswords, type PasswordSources } from './auth/passwords';
import { LoginLimit } from './auth/login-limit';
import { OidcLogin, type OidcSettings } from './auth/oidc';
import { BatchReads } from './batch-reads';
import { consoleApp } from './console-app';
import type { ConsoleContext } from './console-env';

export interface ConsoleOptions extends PasswordSources {
  /** host:port to listen on. */
  listen: string;
  /** The URL people's browsers use, when not http(s)://listen (a reverse proxy). */
  publicUrl?: string;
  tls?: { certFile: string; keyFile: string };
  oidc?: OidcSettings;
  /** Sign-in links only (the demo): no password or provider is needed. */
  linksOnly?: boolean;
  /** Temporal Web's page for a batch, when Temporal Web is known. */
  webLink(batchId: string, namespace: string): string | undefined;
  log(line: string): void;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

/** How long a signed-in session lasts. */
const SESSION_TTL_MS = 12 * 3600_000;

/**
 * Serves the console until closed. Everything is checked before it listens: a way to sign in, TLS beyond
 * this machine, the certificate, the passwords, Temporal and the results store.
 */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const { host, port } = listenAddress(opts.listen);
  const tls = opts.tls && {
    cert: await readPem(opts.tls.certFile, '--tls-cert'),
    key: await readPem(opts.tls.keyFile, '--tls-key'),
  };
  const publicUrl = new URL(
    opts.publicUrl ?? `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
  );
  if (
    !tls &&
    publicUrl.protocol !== 'https:' &&
    !isLoopback(new URL(`http://${host.includes(':') ? `[${host}]` : host}`))
  )
    throw new UserError(
      `--listen ${opts.listen} would serve plain HTTP beyond this machine; pass --tls-cert and --tls-key, or --public-url https://… behind a TLS proxy (docs/console.md)`,
    );
  const passwords = await loadPasswords(opts);
  if (!passwords.operator && !opts.oidc && !opts.linksOnly)
    throw new UserError(
      'no way to sign in: set CLIENTSYNC_CONSOLE_PASSWORD or pass --password-file FILE, or --oidc-issuer URL (docs/console.md)',
    );
  const sealKey = await loadSealKey({ create: true });
  const { client, connection, target } = await connectClient();
  const store = await openResultsStore();
  const ctx: ConsoleContext = {
    publicUrl: publicUrl.href,
    client,
    store,
    reads: new BatchReads(client, store),
    sealKey,
    cookies: { key: consoleKey(sealKey, 'session'), secure: publicUrl.protocol === 'https:', ttlMs: SESSION_TTL_MS },
    passwords,
    ...(opts.oidc ? { oidc: new OidcLogin(opts.oidc, new URL('/auth/callback', publicUrl).href) } : {}),
    logins: new LoginLimit(),
    webLink: (batchId) => opts.webLink(batchId, target.namespace),
    log: opts.log,
  };
  const server = await listen(consoleApp(ctx).fetch, host, port, tls);
  const bound = (server.address() as AddressInfo).port;
  if (!opts.publicUrl) publicUrl.port = String(bound);
  ctx.publicUrl = publicUrl.href;
  return {
    url: publicUrl.href.replace(/\/$/, ''),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await store.close();
    },
  };
}

function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  hostname: string,
  port: number,
  tls: { cert: Buffer; key: Buffer } | undefined,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch, hostname, port, ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}) },
      () => resolve(server),
    );
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UserError(
              `${hostname}:${port} is in use; pass --listen with another port, e.g. --listen 127.0.0.1:8081`,
            )
          : err,
      ),
    );
  });
}

/** `host:port`, or `[v6]:port`. */
function listenAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new UserError(`--listen ${JSON.stringify(value)} is not host:port; use e.g. --listen 127.0.0.1:8080`);
  return { host: (m[1] ?? m[2])!, port };
}

async function readPem(file: string, flag: string): Promise<Buffer> {
  return readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${flag} ${file} cannot be read (${err.code ?? err.message}); check the path`);
  });
}
