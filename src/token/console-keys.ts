import { hkdfSync } from 'node:crypto';

// The console's keys come from the sealing key, which the CLI, the workers and the console already share: a
// worker can sign an alert's link that the console checks, and sessions outlive a restart of the console,
// with no new secret to hand out. Each purpose gets its own key (HKDF), so none can stand in for another.

export type ConsoleKeyPurpose = 'alert-link' | 'session';

/** A 32-byte key for one purpose, derived from the sealing key. */
export function consoleKey(sealKey: Buffer, purpose: ConsoleKeyPurpose): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', sealKey, 'clientsync console', `clientsync ${purpose} v1`, 32));
}
