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
  close(): Promise<void>;
}

/** A TCP proxy in front of an API that can take it down the ways an outage does, and counts what is sent meanwhile. */
export async function startOutageProxy(target: { host: string; port: number }): Promise<OutageProxy> {
  let mode: OutageMode = 'up';
  const seen: number[] = [];
  const hung = new Set<net.Socket>();
  const piped = new Set<net.Socket>();
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
        const heads = d.toString('latin1').match(/^(GET|POST|PUT|PATCH|DELETE) /gm)?.length ?? 0;
        for (let i = 0; i < heads; i++) seen.push(Date.now());
      });
      inbound.on('close', () => hung.delete(inbound));
      return;
    }
    const outbound = net.connect(target.port, target.host);
    outbound.on('error', () => inbound.destroy());
    piped.add(inbound);
    inbound.on('close', () => (piped.delete(inbound), outbound.destroy()));
    outbound.on('close', () => inbound.destroy());
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    set(next) {
      // An outage breaks the connections the API had open; its return drops what it held.
      if (next !== 'up') for (const s of piped) s.destroy();
      if (next === 'up') for (const s of hung) s.destroy();
      mode = next;
    },
    outageRequests: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of [...hung, ...piped]) s.destroy();
        server.close(() => resolve());
      }),
  };
}
