// A real rate limiter that nobody here wrote: nginx's limit_req (Debian's nginx-light) in front of an API,
// answering 429 beyond its rate with no Retry-After. Its access log is the ledger of every request.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Nginx {
  /** The API's base URL through nginx: http://127.0.0.1:PORT/clients/ */
  baseUrl: string;
  /** Every request nginx answered: when (ms since epoch), its status and its path. */
  requests(): Promise<Array<{ at: number; status: number; uri: string }>>;
  close(): Promise<void>;
}

export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** nginx, found, or one line naming how to get it. */
export async function nginxOrSay(): Promise<string> {
  const found = await access(NGINX_PATH).then(
    () => true,
    () => false,
  );
  if (!found)
    throw new Error(
      `the rate-limit tests need nginx at ${NGINX_PATH}: install Debian's nginx-light, or set NGINX_PATH`,
    );
  return NGINX_PATH;
}

/**
 * nginx at `rate` requests per second (a `burst` of that many allowed above it) in front of `upstream`
 * (http://host:port).
 */
export async function startNginx(upstream: string, opts: { rate: number; burst?: number }): Promise<Nginx> {
  const binary = await nginxOrSay();
  const dir = await mkdtemp(path.join(tmpdir(), 'clientsync-nginx-'));
  await mkdir(path.join(dir, 'tmp'));
  const port = await freePort();
  const log = path.join(dir, 'access.log');
  const up = new URL(upstream);
  const conf = `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  log_format ledger '$msec $status $request_uri';
  access_log ${log} ledger;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp;
  limit_req_zone $binary_remote_addr zone=api:1m rate=${opts.rate}r/s;
  limit_req_status 429;
  limit_req_log_level info;
  upstream api { server ${up.hostname}:${up.port}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      limit_req zone=api${opts.burst ? ` burst=${opts.burst} nodelay` : ''};
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${err}`);
    const up = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 10 s: ${err}`);
    await sleep(50);
  }
  return {
    baseUrl: `http://127.0.0.1:${port}/clients/`,
    async requests() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l.includes('/clients/'))
        .map((l) => {
          const [at, status, uri] = l.split(' ');
          return { at: Number(at) * 1000, status: Number(status), uri: uri ?? '' };
        });
    },
    async close() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
