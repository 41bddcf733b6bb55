import net from 'node:net';

export { freePort } from '../../src/temporal-server/free-port';

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A frontend port for a Temporal cluster: it and the ports the services take after it (up to +106) were free
 * a moment ago, and all stay below 32768, where Temporal's membership table can hold them.
 */
export async function freeClusterPort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const needed = [0, 1, 2, 6, 10, 100, 101, 102, 106].map((d) => port + d);
    if ((await Promise.all(needed.map(canBind))).every(Boolean)) return port;
  }
  throw new Error('no free port range below 32768 for a Temporal cluster');
}
