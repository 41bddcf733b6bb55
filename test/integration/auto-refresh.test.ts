import { afterEach, describe, expect, it } from 'vitest';
import { tokenRefreshedSignal } from '../../src/contract/messages';
import { spawnWorker, untilOutput, type CliProcess } from '../helpers/cli-process';
import { createHarness, resultOf, waitForProgress, type Harness } from '../helpers/harness';
import { historyText } from '../helpers/history-text';
import { API_RESOURCE, startOAuthServer, type OAuthServer } from '../helpers/oauth-server';

const noFailures = { missing: [], repeated: [], repeatedWithOtherKey: [], unexpected: [] };

// Workers that get their tokens from a real authorization server (oidc-provider, client credentials, JWT
// access tokens), and a fake API that checks each JWT against the server's keys and its `exp`.
describe('automatic token refresh against a real authorization server', () => {
  let h: Harness | undefined;
  let oauth: OAuthServer | undefined;
  let worker: CliProcess | undefined;
  afterEach(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await h?.close();
    await oauth?.close();
  });

  async function setUp(ttlSeconds: number, api: { latencyMs: number }) {
    oauth = await startOAuthServer({ ttlSeconds });
    h = await createHarness({ ...api, jwt: { jwksUrl: oauth.jwksUrl, audience: API_RESOURCE } });
    worker = await spawnWorker(h, {
      API_TOKEN: '',
      API_OAUTH_TOKEN_URL: oauth.tokenUrl,
      API_OAUTH_CLIENT_ID: oauth.clientId,
      API_OAUTH_CLIENT_SECRET: oauth.clientSecret,
      API_OAUTH_SCOPE: 'clients:read',
    });
    return { h, oauth, worker };
  }

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
    expect(h.api.ledger.check(ids)).toEqual(noFailures);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 800, automaticRefreshes: 1, tokenRefreshes: 2 });
  });
});
