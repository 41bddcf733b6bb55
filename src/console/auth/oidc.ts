import * as oidc from 'openid-client';
import { UserError } from '../../contract/errors';
import { isLoopback } from '../../domain/loopback';
import type { Role, Session } from './session';

// Sign-in with an OpenID Connect provider: the authorization code flow with PKCE, state and nonce, the
// client authenticated with its secret. Who is an operator is the console's to say (--operators, or a group
// in the ID token's `groups` claim); everyone else the provider signs in is a viewer.

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Emails or subjects that act; the others view. */
  operators: string[];
  /** Members of this group (the `groups` claim) act too. */
  operatorGroup?: string;
}

export class OidcLogin {
  private config?: Promise<oidc.Configuration>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly callbackUrl: string,
  ) {}

  /** The provider's metadata, read once; plain http only for a provider on this machine (tests, a local IdP). */
  private configuration(): Promise<oidc.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    const url = new URL(issuer);
    this.config ??= oidc
      .discovery(
        url,
        clientId,
        undefined,
        clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(),
        isLoopback(url) ? { execute: [oidc.allowInsecureRequests] } : {},
      )
      .catch((err: Error) => {
        this.config = undefined; // ask again next time: the provider may be back
        throw new UserError(`the OIDC provider at ${issuer} cannot be read: ${err.message}`);
      });
    return this.config;
  }

  /** Where to send the browser, and what the session keeps to check the answer. */
  async start(returnTo: string): Promise<{ url: string; pending: NonNullable<Session['oidc']> }> {
    const pending = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      returnTo,
    };
    const url = oidc.buildAuthorizationUrl(await this.configuration(), {
      redirect_uri: this.callbackUrl,
      scope: 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, pending };
  }

  /** The signed-in user and role, from the provider's answer at the callback URL. */
  async finish(currentUrl: URL, pending: NonNullable<Session['oidc']>): Promise<{ user: string; role: Role }> {
    const tokens = await oidc.authorizationCodeGrant(await this.configuration(), currentUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error('the provider sent no ID token');
    // Many providers put email and groups in the userinfo answer only, not in the ID token of a code flow.
    const config = await this.configuration();
    const claims =
      idClaims.email === undefined && config.serverMetadata().userinfo_endpoint
        ? { ...(await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...idClaims }
        : idClaims;
    const email = typeof claims.email === 'string' ? claims.email : undefined;
    const groups = Array.isArray(claims.groups) ? claims.groups.map(String) : [];
    const { operators, operatorGroup } = this.settings;
    const operator =
      operators.includes(claims.sub) ||
      (email !== undefined && operators.includes(email)) ||
      (operatorGroup !== undefined && groups.includes(operatorGroup));
    return { user: email ?? claims.sub, role: operator ? 'operator' : 'viewer' };
  }
}
