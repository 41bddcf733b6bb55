import type { Command } from 'commander';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync console`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineConsole(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('console')
      .description(
        'serve the web console: every batch at a glance, and a waiting batch handed a token (docs/console.md)',
      )
      .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8080')
      .option('--public-url <url>', 'the URL browsers use, behind a reverse proxy (default: http(s)://LISTEN)')
      .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (and --tls-key)')
      .option('--tls-key <file>', 'the PEM private key of --tls-cert')
      .option(
        '--password-file <file>',
        "the operator's password, or its hash (default: env CLIENTSYNC_CONSOLE_PASSWORD)",
      )
      .option(
        '--viewer-password-file <file>',
        "a viewer's password, or its hash (default: env CLIENTSYNC_CONSOLE_VIEWER_PASSWORD)",
      )
      .option('--oidc-issuer <url>', 'sign in with this OpenID Connect provider (default: env CLIENTSYNC_OIDC_ISSUER)')
      .option('--oidc-client-id <id>', "the console's client id there (default: env CLIENTSYNC_OIDC_CLIENT_ID)")
      .option(
        '--oidc-client-secret-file <file>',
        'the client secret, from a file (default: env CLIENTSYNC_OIDC_CLIENT_SECRET)',
      )
      .option('--operators <list>', 'emails or subjects that may act, comma-separated; others signed in view')
      .option('--operator-group <name>', "members of this group (the ID token's groups claim) may act too")
      .option('--hash-password', 'read a password on stdin, print its hash for a password file, and exit')
      .action((o) => commands.console(o, io)),
    'clientsync console --password-file ~/.config/clientsync/console-password',
  );
}
