import net from 'node:net';

export type OutageMode = 'up' | 'refuse' | 'hang';

export interface OutageProxy {
  /** http://127.0.0.1:PORT: the API's origin as callers see it. */
  origin: string;
  /**
   * 'up' forwards; 'refuse' resets each connection as it opens (the caller sees a connection error);
   * 'hang' takes requests and never answers. Back to 'up', the hung connections are closed.
   */
  set(mode: OutageMode): void;
  /**
   * Requests that reached the proxy while it was not 'up' (each refused connection counts as one), with their times.
   */
  outageRequests(): number[];
  /**
   * Requests the API had taken but not yet answered when an outage cut their connections: the API may have done
   * their work, and the caller, who never heard, sends them again. Only these may succeed twice at the API.
   */
  cutUnanswered(): number;
  close(): Promise<void>;
}

/** A TCP proxy in front of an API that can take it down the ways an outage does, and counts what is sent meanwhile. */
export async function startOutageProxy(target: { host: string; port: number }): Promise<OutageProxy> {
  let mode: OutageMode = 'up';
  const seen: number[] = [];
  const hung = new Set<net.Socket>();
  /** Each forwarded connection, with its requests not yet answered. */
  const piped = new Map<net.Socket, { unanswered: number }>();
  let cut = 0;
  const server = net.createServer((inbound) => {
    inbound.on('error', () => {});
    if (mode === 'refuse') {
      seen.push(Date.now());
      inbound.resetAndDestroy();
      return;
    }
    if (mode === 'hang') {
      hung.add(inbound);
      // Each request head on the connection is one request the caller sent.
      inbound.on('data', (d: Buffer) => {
        for (let i = requestHeads(d); i > 0; i--) seen.push(Date.now());
      });
      inbound.on('close', () => hung.delete(inbound));
      return;
    }
    const outbound = net.connect(target.port, target.host);
    outbound.on('error', () => inbound.destroy());
    const conn = { unanswered: 0 };
    piped.set(inbound, conn);
    inbound.on('data', (d: Buffer) => (conn.unanswered += requestHeads(d)));
    // An answer counts once its bytes are handed to the caller's connection, not when they reach the proxy.
    outbound.on('data', (d: Buffer) => {
      const answers = d.toString('latin1').match(/^HTTP\/1\.[01] \d{3} /gm)?.length ?? 0;
      inbound.write(d, (err) => err || (conn.unanswered -= answers));
    });
    inbound.on('close', () => (piped.delete(inbound), outbound.destroy()));
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    set(next) {
      // An outage breaks the connections the API had open; its return drops what it held.
      if (next !== 'up') {
        for (const [s, conn] of piped) {
          cut += Math.max(0, conn.unanswered);
          s.destroy();
        }
      }
      if (next === 'up') for (const s of hung) s.destroy();
      mode = next;
    },
    outageRequests: () => [...seen],
    cutUnanswered: () => cut,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of [...hung, ...piped.keys()]) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The request heads in a chunk of what a caller sent. */
function requestHeads(d: Buffer): number {
  return d.toString('latin1').match(/^(GET|POST|PUT|PATCH|DELETE) /gm)?.length ?? 0;
}
