import { afterEach } from 'vitest';
import { spawnWorker, type CliProcess } from './cli-process';
import { createHarness, type Harness } from './harness';
import { API_RESOURCE, startOAuthServer, type OAuthServer } from './oauth-server';

/**
 * Registers a file's hooks, and returns its set-up: workers that get their tokens from a real authorization server
 * (oidc-provider, client credentials, JWT access tokens), and a fake API that checks each JWT against the server's
 * keys and its `exp`.
 */
export function oauthWorkers() {
  let h: Harness | undefined;
  let oauth: OAuthServer | undefined;
  let worker: CliProcess | undefined;
  afterEach(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await h?.close();
    await oauth?.close();
  });

  return async (ttlSeconds: number, api: { latencyMs: number }) => {
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
  };
}
