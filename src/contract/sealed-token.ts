// The sealed-token format: `cs1.<key id>.<iv>.<tag>.<ciphertext>`, the last three base64url. token/seal.ts
// writes and opens it; the workflow, which cannot unseal, reads only the key id, which is in the clear.

export const SEALED_PREFIX = 'cs1';

export interface SealedParts {
  /** The first 8 hex digits of the sealing key's SHA-256. */
  keyId: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** The parts of a sealed token, or undefined when it is not one. */
export function parseSealed(sealed: string): SealedParts | undefined {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== SEALED_PREFIX || !/^[0-9a-f]{8}$/.test(parts[1]!)) return undefined;
  const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  return { keyId, iv, tag, ciphertext };
}

export function formatSealed(p: SealedParts): string {
  return [SEALED_PREFIX, p.keyId, p.iv, p.tag, p.ciphertext].join('.');
}
