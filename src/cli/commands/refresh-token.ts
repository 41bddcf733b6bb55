import { tokenRefreshedSignal, progressQuery, type BatchProgress } from '../../shared';
import { loadSealKey, sealToken } from '../../token/seal';
import { jwtExpiry } from '../../token/token-expiry';
import { getRunningBatch, withClient } from '../batches';
import type { CliIO } from '../io';
import { progressLine } from '../progress-line';
import { readTokenInput, type TokenFlags } from '../token-input';

/**
 * `clientsync refresh-token`: sends tokenRefreshed with the new token sealed; with no token, the
 * workers re-read their own token source. Prints the batch's state afterwards.
 */
export async function refreshToken(batchId: string, flags: TokenFlags, io: CliIO): Promise<BatchProgress> {
  const token = await readTokenInput(flags, io);
  const sealedToken = token ? sealToken(token, await loadSealKey({ create: true })) : undefined;
  return withClient(async (client) => {
    const { handle } = await getRunningBatch(client, batchId, 'refresh');
    const expiresAt = token ? jwtExpiry(token) : undefined;
    await handle.signal(tokenRefreshedSignal, sealedToken ? { sealedToken, ...(expiresAt ? { expiresAt } : {}) } : {});
    io.out(token ? `Sent tokenRefreshed to ${batchId} with a new token.` : `Sent tokenRefreshed to ${batchId}; workers will re-read their own token source.`);
    const progress = await handle.query(progressQuery);
    io.out(progressLine(progress, 0));
    return progress;
  });
}
