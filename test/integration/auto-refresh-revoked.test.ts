import { describe, expect, it } from 'vitest';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import { untilOutput } from '../helpers/cli-process';
import { resultOf, waitForProgress } from '../helpers/harness';
import { oauthWorkers } from '../helpers/oauth-workers';

describe('automatic token refresh when the authorization server refuses', () => {
  const setUp = oauthWorkers();

  it('waits for a person when the client secret is revoked, saying why; a token from a person resumes it', async () => {
    const { h, oauth, worker } = await setUp(4, { latencyMs: 10 });
    const { path, ids } = await h.clientFile(800);
    const handle = await h.startBatch(path, { sealedToken: undefined, options: { concurrency: 2 } });
    await waitForProgress(handle, (p) => p.processed > 0);
    await oauth.revokeSecret();

    const waiting = await waitForProgress(
      handle,
      (p) => p.state === 'waiting-for-token' && !!p.lastTokenError?.includes('refused'),
    );
    expect(waiting.lastTokenError).toBe(
      'TokenExpired:401; automatic refresh failed: the authorization server refused: invalid_client (client authentication failed)',
    );
    expect(waiting.processed).toBeLessThan(800);
    // The worker says so in one WARN line (the refresh before the token's end, or the one after its expiry, met the
    // refusal first). Workflow log lines leave through a sink after the workflow task, so the query can be first.
    await untilOutput(
      worker,
      /WARN .*(Could not refresh the token before it ends|The batch waits for a person).*invalid_client/,
      10_000,
    );

    await handle.signal(tokenRefreshedSignal, { sealedToken: h.seal(h.api.issueToken()) }); // the person's token
    const summary = await resultOf(handle);
    expect(h.api.ledger.check(ids)).toEqual({ missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] });
    expect(summary).toMatchObject({ state: 'completed', succeeded: 800, automaticRefreshes: 1, tokenRefreshes: 2 });
  });
});
