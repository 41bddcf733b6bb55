import net from 'node:net';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { serverAnswers } from '../../src/connection/connection';
import { setTimeout as sleep } from 'node:timers/promises';

// A port that accepts TCP and drops it at once, as a server that is not up yet would refuse: every connect
// attempt of a gRPC channel shows as one accepted socket, so a channel left open shows by its retries.

interface Refuser {
  address: string;
  attempts(): number;
  close(): Promise<void>;
}

async function refuser(): Promise<Refuser> {
  let attempts = 0;
  const server = net.createServer((socket) => {
    attempts++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    attempts: () => attempts,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

let open: Refuser | undefined;
let held: Connection | undefined;
afterEach(async () => {
  await held?.close();
  held = undefined;
  await open?.close();
  open = undefined;
});

describe('connections that find no server', () => {
  it('a probe leaves no channel behind that keeps reconnecting', async () => {
    open = await refuser();
    expect(await serverAnswers(open.address, 500)).toBe(false);
    await sleep(3000); // a closed channel may still make the one retry it had scheduled, then goes idle
    const after = open.attempts();
    await sleep(6000); // a channel left open retries at about 1, 2.6, 5.2 and 9.3 s, and on
    expect(open.attempts() - after).toBe(0);
  });

  it('a probe does not inherit the reconnect backoff of a channel another part of the process holds', async () => {
    open = await refuser();
    held = Connection.lazy({ address: open.address, connectTimeout: 300 });
    await held.ensureConnected().catch(() => {});
    await sleep(3500); // the held channel's backoff has grown past 2.5 s between tries
    const before = open.attempts();
    const probing = serverAnswers(open.address, 1500);
    await sleep(300);
    expect(open.attempts() - before).toBeGreaterThan(0); // it tried at once, on a subchannel of its own
    expect(await probing).toBe(false);
  });
});
