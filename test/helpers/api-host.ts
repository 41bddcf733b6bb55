// The API "host" of the cluster test, run in its own process (and network namespace): the fake clients API
// and an HTTP file server with Range, both on API_HOST_IP. The test drives it over HTTP: POST /token,
// GET /_stats and POST /_configure on the API, GET /_stats on the file server.
import { startFakeApi, type FakeApiOptions } from '../../src/fake-api';
import { startFileServer } from './file-server';

const host = process.env.API_HOST_IP ?? '127.0.0.1';
const options = JSON.parse(process.env.API_HOST_OPTIONS ?? '{}') as FakeApiOptions;
void (async () => {
  const api = await startFakeApi({ ...options, host });
  const files = await startFileServer(process.env.API_HOST_DIR ?? process.cwd(), { host });
  console.log(`api-host ready ${JSON.stringify({ api: api.origin, files: files.origin })}`);
  process.once('SIGTERM', () => void Promise.all([api.close(), files.close()]).then(() => process.exit(0)));
})();
