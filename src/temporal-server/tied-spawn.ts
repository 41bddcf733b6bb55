import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** util-linux's setpriv, which can ask the kernel to signal a process when its parent dies. */
const SETPRIV = '/usr/bin/setpriv';

let canTie: boolean | undefined;
function setprivAvailable(): boolean {
  if (canTie === undefined) {
    try {
      accessSync(SETPRIV, constants.X_OK);
      canTie = process.platform === 'linux';
    } catch {
      canTie = false;
    }
  }
  return canTie;
}

/**
 * Spawns a server process that ends when clientsync ends, however it ends. An exit handler cannot kill
 * children when clientsync is SIGKILLed (by a person, a crash or the OOM killer), so on Linux the child
 * runs under `setpriv --pdeathsig SIGTERM`: the kernel sends it SIGTERM when this process dies, and it
 * shuts down and frees its ports. Elsewhere it is spawned as it is.
 */
export function spawnTied(command: string, args: string[], options: SpawnOptions): ChildProcess {
  if (!setprivAvailable()) return spawn(command, args, options);
  return spawn(SETPRIV, ['--pdeathsig', 'SIGTERM', '--', command, ...args], options);
}
