import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** A "machine" of the cluster test: its address, and how to run a command on it. */
export interface Host {
  name: string;
  ip: string;
  /** The command and arguments that run `command args` on this host. */
  wrap(command: string, args: string[]): [string, string[]];
}

export interface Hosts {
  /** 'netns': each host is a network namespace on a bridge; 'loopback': all share 127.0.0.1. */
  mode: 'netns' | 'loopback';
  /** The address of this process's own namespace on the bridge, where the cluster listens. */
  gatewayIp: string;
  host(name: string): Host;
  close(): Promise<void>;
}

const here = (name: string, ip: string): Host => ({ name, ip, wrap: (command, args) => [command, args] });

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args);
}

/**
 * One network namespace per name, each with its own address on a bridge in this namespace (veth pairs),
 * so the processes of the test talk over a network as separate machines do. Needs root and `ip`; without
 * them, says so in one line and returns hosts that all share 127.0.0.1.
 */
export async function makeHosts(names: string[], say: (line: string) => void): Promise<Hosts> {
  const tag = randomInt(0x1000, 0xffff).toString(16);
  const subnet = `10.${randomInt(64, 250)}.${randomInt(1, 250)}`;
  const bridge = `csbr${tag}`;
  const made: string[] = [];
  try {
    if (process.getuid?.() !== 0) throw new Error('not root');
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const hosts = new Map<string, Host>();
    for (const [i, name] of names.entries()) {
      const ns = `cs${tag}-${name}`;
      const addr = `${subnet}.${10 + i}`;
      await ip('netns', 'add', ns);
      made.push(ns);
      // The veth's two ends: one on the bridge here, one inside the namespace (names stay under 15 bytes).
      const [outer, inner] = [`cs${tag}o${i}`, `cs${tag}i${i}`];
      await ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      await ip('link', 'set', outer, 'master', bridge);
      await ip('link', 'set', outer, 'up');
      await ip('link', 'set', inner, 'netns', ns);
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', inner);
      await ip('-n', ns, 'link', 'set', inner, 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      hosts.set(name, { name, ip: addr, wrap: (command, args) => ['ip', ['netns', 'exec', ns, command, ...args]] });
    }
    const close = async () => {
      for (const ns of made) await ip('netns', 'del', ns).catch(() => {}); // takes the veth pairs with it
      await ip('link', 'del', bridge).catch(() => {});
    };
    return { mode: 'netns', gatewayIp: `${subnet}.1`, host: (name) => hosts.get(name)!, close };
  } catch (err) {
    for (const ns of made) await ip('netns', 'del', ns).catch(() => {});
    await ip('link', 'del', bridge).catch(() => {});
    say(
      `network namespaces unavailable (${(err as Error).message.split('\n')[0]}): every host runs on 127.0.0.1 with its own HOME and folder`,
    );
    return { mode: 'loopback', gatewayIp: '127.0.0.1', host: (name) => here(name, '127.0.0.1'), close: async () => {} };
  }
}
