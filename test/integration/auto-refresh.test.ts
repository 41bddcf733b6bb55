import { describe, expect, it } from 'vitest';
import { resultOf, waitForProgress } from '../helpers/harness';
import { historyText } from '../helpers/history-text';
import { oauthWorkers } from '../helpers/oauth-workers';

const noFailures = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

describe('automatic token refresh against a real authorization server', () => {
  const setUp = oauthWorkers();

  it('completes a 3,000-client batch with 20 s tokens with no person involved, every client called once', async () => {
    const { h, oauth, worker } = await setUp(20, { latencyMs: 5 });
    expect(worker.output()).toContain(`token provider: OAuth client credentials at ${oauth.tokenUrl}`);
    const { path, ids } = await h.clientFile(3000);
    const handle = await h.startBatch(path, { sealedToken: undefined, options: { concurrency: 16 } });
    const running = await waitForProgress(handle, (p) => p.processed > 0 && p.tokenExpiresAt !== null);
    expect(Date.parse(running.tokenExpiresAt!) - Date.now()).toBeLessThanOrEqual(20_000);
    const summary = await resultOf(handle);

    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 3000, failed: 0 });
    // No person: every refresh was automatic, one token request each (the batch's first token, then one
    // before each token's end), and tokens were refreshed about every 18 s of the batch.
    expect(summary.tokenRefreshes).toBe(summary.automaticRefreshes);
    expect(oauth.issued()).toBe(summary.automaticRefreshes);
    expect(summary.automaticRefreshes).toBeGreaterThanOrEqual(1 + Math.floor(summary.durationMs / 20_000));
    const expired = h.api.ledger.statusCounts[401] ?? 0;
    console.log(
      `auto-refresh: 3,000 clients in ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.automaticRefreshes} automatic refreshes, ${expired} answers 401`,
    );

    // The client secret and the issued tokens are nowhere in plaintext: history, Temporal Web's view, the worker's log.
    const places = { history: await historyText(h, handle.workflowId), worker: worker.output() };
    const secrets = [oauth.clientSecret, ...h.api.issuedTokens()];
    expect(secrets.length).toBeGreaterThan(summary.automaticRefreshes!);
    for (const [place, text] of Object.entries(places)) {
      for (const secret of secrets) expect(text.includes(secret), `${place} contains a secret`).toBe(false);
    }
  });
});
