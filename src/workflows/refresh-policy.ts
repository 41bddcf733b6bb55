// When a batch gets a new token by itself, and which refreshes it refuses before they enter history.
// Deterministic code only.
import type { AutoRefreshCarry, BatchCarry } from '../contract/batch-input';
import { parseSealed } from '../contract/sealed-token';

/**
 * Bounds on automatic refresh, so a provider that hands out tokens the API rejects cannot spin: at most
 * `maxInARow` refreshes without a successful call between them, and after an expiry at most one per
 * `autoRefreshMinIntervalMs` (an option). A token with a known lifetime is refreshed at `proactiveAt` of it.
 */
export const AUTO_REFRESH = { maxInARow: 3, proactiveAt: 0.9 } as const;

/** When to refresh the batch's token before it ends (ms since epoch); undefined: its lifetime is unknown. */
export function proactiveRefreshAt(carry: Pick<BatchCarry, 'tokenExpiresAt' | 'tokenObtainedAt'>): number | undefined {
  if (carry.tokenExpiresAt === undefined) return undefined;
  const from = Math.min(carry.tokenObtainedAt ?? carry.tokenExpiresAt, carry.tokenExpiresAt);
  return from + (carry.tokenExpiresAt - from) * AUTO_REFRESH.proactiveAt;
}

export type AutoRefreshVerdict = { kind: 'now' } | { kind: 'later'; at: number } | { kind: 'person'; why: string };

/**
 * After an expiry: refresh now, later (the once-a-minute bound), or leave it to a person (the in-a-row bound).
 * Workers that had no provider at the last try are asked again at once: they answer without a token, so
 * nothing can spin, and the batch says plainly that it waits for a person rather than for a refresh that
 * will not come.
 */
export function autoRefreshVerdict(
  auto: AutoRefreshCarry | undefined,
  now: number,
  minIntervalMs: number,
): AutoRefreshVerdict {
  if (auto?.noProvider) return { kind: 'now' };
  if (auto && auto.inARow >= AUTO_REFRESH.maxInARow) {
    return {
      kind: 'person',
      why: `automatic refresh stopped: ${auto.inARow} new tokens in a row met an expiry before any call succeeded`,
    };
  }
  const at = (auto?.lastReactiveAt ?? -Infinity) + minIntervalMs;
  return at > now ? { kind: 'later', at } : { kind: 'now' };
}

/**
 * Why a refresh should be refused before it enters history, or null: a sealed token that is not one, or
 * sealed with another key than the batch's; or no token while the workers are known to have no provider.
 * The workflow cannot unseal (no key, no crypto), but the key id is in the clear.
 */
export function refreshRefusal(
  carry: Pick<BatchCarry, 'sealedToken' | 'autoRefresh'>,
  batchKeyId: string | undefined,
  sealedToken?: string,
): string | null {
  if (!sealedToken) {
    return carry.autoRefresh?.noProvider
      ? 'a refresh without a token cannot help: the workers have no token provider; pass the token (--token-file F or --token-stdin)'
      : null;
  }
  const keyId = parseSealed(sealedToken)?.keyId;
  if (!keyId) return 'the token is not sealed by clientsync; send it with `clientsync refresh-token`';
  if (batchKeyId && keyId !== batchKeyId) {
    return (
      `the token was sealed with key ${keyId} but this batch's tokens use key ${batchKeyId}; ` +
      `run refresh-token with the CLIENTSYNC_SEAL_KEY or key file the workers have`
    );
  }
  return null;
}

/** The sealing key id of a sealed token, which every token of one batch shares. */
export function sealedKeyId(sealedToken: string | undefined): string | undefined {
  return sealedToken === undefined ? undefined : parseSealed(sealedToken)?.keyId;
}
