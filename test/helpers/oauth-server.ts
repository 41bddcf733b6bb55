import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/** The resource indicator (and JWT audience) of the fake API's tokens. */
export const API_RESOURCE = 'https://api.clientsync.test/';

export interface OAuthServer {
  /** The issuer, e.g. http://127.0.0.1:4567 */
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  clientId: string;
  clientSecret: string;
  /** Access tokens issued so far (client credentials grants answered). */
  issued(): number;
  /** Gives the client a new secret: the old one is refused from now on (invalid_client). */
  revokeSecret(): Promise<void>;
  /** A refresh token for the client, as a person's sign-in would have left (offline_access); each is good once. */
  mintRefreshToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real authorization server (oidc-provider, OpenID certified) in this process: client credentials
 * issuing JWT access tokens for the fake API that live `ttlSeconds`. The client is kept in the provider's
 * adapter, not its static configuration, so that its secret can be revoked mid-test.
 */
export async function startOAuthServer(options: { ttlSeconds: number }): Promise<OAuthServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' }] },
    ttl: { ClientCredentials: options.ttlSeconds, AccessToken: options.ttlSeconds },
    scopes: ['openid', 'offline_access', 'clients:read'],
    rotateRefreshToken: true,
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'clients:read',
          audience: API_RESOURCE,
          accessTokenTTL: options.ttlSeconds,
          accessTokenFormat: 'jwt',
        }),
      },
    },
  });
  let issued = 0;
  provider.on('client_credentials.issued', () => issued++); // a JWT is issued, not stored
  server.on('request', provider.callback());

  const clientId = 'clientsync-workers';
  const register = async () => {
    const secret = randomBytes(24).toString('base64url');
    await provider.Client.adapter.upsert(clientId, {
      client_id: clientId,
      client_secret: secret,
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: ['https://operator.example/callback'],
      response_types: ['code'],
      scope: 'openid offline_access clients:read',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    return secret;
  };
  const self: OAuthServer = {
    issuer,
    tokenUrl: `${issuer}/token`,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    clientSecret: await register(),
    issued: () => issued,
    revokeSecret: async () => void (await register()),
    mintRefreshToken: async () => {
      const grant = new provider.Grant({ accountId: 'operator', clientId });
      grant.addOIDCScope('openid offline_access');
      const grantId = await grant.save();
      const client = await provider.Client.find(clientId);
      return new provider.RefreshToken({
        client,
        accountId: 'operator',
        grantId,
        scope: 'openid offline_access',
        gty: 'authorization_code',
      }).save();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return self;
}
