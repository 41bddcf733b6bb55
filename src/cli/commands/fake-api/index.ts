import { Option, type Command } from 'commander';
import { authPlace, port, rate, wholeNumber } from '../../parse';
import type { CliIO } from '../../io';
import { withExample } from '../../reference';
import type { Commands } from '..';

/** `clientsync fake-api`, as people type it: its arguments, flags and help; what it does loads on use. */
export function defineFakeApi(program: Command, io: CliIO, commands: Commands): void {
  withExample(
    program
      .command('fake-api')
      .description('run the fake clients API on 127.0.0.1 (tokens, faults, ledger)')
      .addOption(new Option('--port <port>', 'port (0: any free one)').default(8080).argParser(port))
      .addOption(
        new Option('--expire-after <n>', 'a token expires after N successful calls (0: never)')
          .default(0)
          .argParser(wholeNumber()),
      )
      .addOption(
        new Option('--token-ttl <seconds>', 'a token expires after S seconds (0: never)')
          .default(0)
          .argParser(wholeNumber()),
      )
      .addOption(new Option('--latency-ms <ms>', 'latency of each answer').default(0).argParser(wholeNumber()))
      .addOption(new Option('--jitter-ms <ms>', 'random extra latency').default(0).argParser(wholeNumber()))
      .addOption(new Option('--fault-rate <rate>', 'share of calls answered 503').default(0).argParser(rate))
      .addOption(
        new Option('--rate-limit-rate <rate>', 'share of calls answered 429 with Retry-After')
          .default(0)
          .argParser(rate),
      )
      .addOption(new Option('--slow-rate <rate>', 'share of calls answered after --slow-ms').default(0).argParser(rate))
      .addOption(new Option('--slow-ms <ms>', 'delay of slow answers').default(30_000).argParser(wholeNumber()))
      .addOption(
        new Option('--reset-rate <rate>', 'share of connections reset without an answer').default(0).argParser(rate),
      )
      .option('--missing <ids>', 'comma-separated ids that answer 404', (v: string) => v.split(',').filter(Boolean))
      .option(
        '--conflicts <ids>',
        'comma-separated ids whose POST answers 409 Conflict (the record exists)',
        (v: string) => v.split(',').filter(Boolean),
      )
      .addOption(
        new Option(
          '--auth <place>',
          'where the API reads the token: bearer, basic (password), header:NAME or query:NAME',
        )
          .default('bearer')
          .argParser(authPlace),
      )
      .addOption(new Option('--seed <n>', 'seed of the fault generator').default(1).argParser(wholeNumber()))
      .option(
        '--jwks-url <url>',
        "also accept JWT access tokens signed by the keys at this URL (an authorization server's)",
      )
      .option('--audience <aud>', 'with --jwks-url: the audience the JWTs must carry')
      .option(
        '--compact-ledger',
        'keep only counts in the ledger (about 5 bytes a client), for batches of millions; GET /_check?count=N reads it',
      )
      .action((o) => {
        // The flags are the API's options, but for four named for people: ids as lists, seconds, the JWT's keys.
        const { tokenTtl, missing, conflicts, jwksUrl, audience, ...same } = o;
        const jwt = jwksUrl ? { jwt: { jwksUrl, ...(audience ? { audience } : {}) } } : {};
        return commands.fakeApi(
          { ...same, tokenTtlSeconds: tokenTtl, missingIds: missing, conflictIds: conflicts, ...jwt },
          io,
        );
      }),
    'clientsync fake-api --port 8080 --expire-after 500',
  );
}
