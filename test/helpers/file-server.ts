import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import send from 'send';

export interface FileServer {
  /** http://HOST:PORT */
  origin: string;
  /** How many requests carried a Range header. */
  rangeRequests(): number;
  close(): Promise<void>;
}

/**
 * Serves a folder over HTTP the way S3, GCS or nginx do: Range requests, ETag and Last-Modified (the `send`
 * library, Express's static file server). With `ranges: false` it answers every GET with the whole file.
 */
export async function startFileServer(
  root: string,
  opts: { ranges?: boolean; host?: string } = {},
): Promise<FileServer> {
  let ranges = 0;
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    if (req.headers.range) ranges++;
    // For a test that runs this server in another process (test/helpers/api-host.ts).
    if (req.url === '/_stats')
      return void res.setHeader('content-type', 'application/json').end(JSON.stringify({ rangeRequests: ranges }));
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    send(req, file, { acceptRanges: opts.ranges !== false, cacheControl: false })
      .on('error', (err: { status?: number }) => {
        res.statusCode = err.status ?? 500;
        res.end();
      })
      .pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    origin: `http://${host}:${(server.address() as AddressInfo).port}`,
    rangeRequests: () => ranges,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
