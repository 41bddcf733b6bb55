import path from 'node:path';
import { stateDir } from '../../paths';
import { serverAnswers, startDevServer } from '../../temporal-server/dev-server';
import { resolveTemporalBinary } from '../../temporal-server/provision';
import { untilSignal, type CliIO } from '../io';

export interface ServerOptions {
  port: number;
  uiPort: number;
  db?: string;
  /** Only build or find the binary, then exit (used by .ci/run). */
  installOnly?: boolean;
}

/** `clientsync server`: the Temporal dev server on a SQLite file, so batches survive a restart. */
export async function server(opts: ServerOptions, io: CliIO, stopWhen: Promise<unknown> = untilSignal()): Promise<void> {
  if (opts.installOnly) {
    const bin = await resolveTemporalBinary(io.err);
    io.out(`temporal binary: ${bin.path} (${bin.source})`);
    return;
  }
  const address = `127.0.0.1:${opts.port}`;
  if (await serverAnswers(address)) {
    io.out(`A Temporal server already answers at ${address}; not starting a second one.`);
    return;
  }
  const dbFile = opts.db ?? path.join(stateDir(), 'temporal.db');
  const dev = await startDevServer({ port: opts.port, uiPort: opts.uiPort, dbFile, log: io.err });
  io.out(`Temporal dev server ready: gRPC ${dev.address}, Temporal Web ${dev.uiUrl}, database ${path.resolve(dbFile)}`);
  io.out('Press Ctrl-C to stop.');
  await Promise.race([stopWhen, new Promise((r) => dev.child.once('exit', r))]);
  await dev.stop();
  io.out('Temporal dev server stopped.');
}
