import { startFakeApi, type FakeApiOptions } from '../../../fake-api';
import { untilSignal, type CliIO } from '../../io';

/** `clientsync fake-api`: the fake clients API on 127.0.0.1, for demos, tests and benchmarks. */
export async function fakeApi(
  opts: FakeApiOptions,
  io: CliIO,
  stopWhen: Promise<unknown> = untilSignal(),
): Promise<void> {
  const api = await startFakeApi(opts);
  io.out(`Fake clients API on ${api.baseUrl}{ClientId}`);
  io.out(`  token:  curl -s -X POST ${api.origin}/token`);
  io.out(`  ledger: curl -s ${api.origin}/_stats`);
  await stopWhen;
  await api.close();
}
