import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../src/contract/alert';

export interface AlertReceiver {
  /** The webhook's URL, with a secret path as a Slack incoming webhook has. */
  url: string;
  origin: string;
  received: Alert[];
  requests(): number;
  close(): Promise<void>;
}

/** A real HTTP receiver of alerts, as a Slack incoming webhook would be: it keeps every alert it is sent. */
export async function startAlertReceiver(options: { failFirst?: boolean } = {}): Promise<AlertReceiver> {
  const received: Alert[] = [];
  let requests = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (requests++ === 0 && options.failFirst) return void res.writeHead(500).end('try again');
      received.push(JSON.parse(body) as Alert);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/services/T0001/B0001/s3cr3tHookPath`,
    origin,
    received,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
