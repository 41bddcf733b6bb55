import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../contract/failures';
import { SealKeyError, sealToken, unsealToken } from '../token/seal';
import { TokenRefusedError, type IssuedToken, type TokenProvider } from '../token/token-provider';
import { countRefresh, labelsOf } from '../telemetry/call-metrics';

export interface RefreshTokenInput {
  batchId: string;
  /** Why: the token met an expiry, it nears its end, or the batch has none yet. */
  why: 'expired' | 'proactive' | 'initial';
  /** The batch's token now, sealed: after an expiry, the same token again is refused, not handed back. */
  current?: string;
  /** The latest rotated refresh token, sealed (the refresh-token grant). */
  sealedRefreshToken?: string;
}

export interface RefreshTokenOutput {
  sealedToken: string;
  /** ms since epoch; null: the provider did not say. */
  expiresAt: number | null;
  sealedRefreshToken?: string;
  /** The provider, for people. */
  provider: string;
}

const refusal = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });

/**
 * Gets a new token from the worker's provider and seals it for the batch. The workflow runs one per expiry;
 * on a worker, refreshes that overlap (several batches) share one request, so a rotating refresh token is
 * used once. A refusal is final (a person acts); an outage is retried by the activity's retry policy.
 */
export function makeRefreshToken(provider: TokenProvider | undefined, sealKey: () => Promise<Buffer>) {
  let inFlight: { refreshToken: string | undefined; issued: Promise<IssuedToken> } | undefined;
  const issue = (refreshToken: string | undefined): Promise<IssuedToken> => {
    if (inFlight && inFlight.refreshToken === refreshToken) return inFlight.issued;
    const issued = provider!.issue(refreshToken).finally(() => {
      if (inFlight?.issued === issued) inFlight = undefined;
    });
    inFlight = { refreshToken, issued };
    return issued;
  };

  return async function refreshToken(input: RefreshTokenInput): Promise<RefreshTokenOutput> {
    if (!provider) {
      throw refusal(FailureTypes.NoTokenProvider, 'the workers have no token provider'); // README: Running unattended
    }
    try {
      const key = await sealKey();
      const refreshToken = input.sealedRefreshToken ? unsealToken(input.sealedRefreshToken, key) : undefined;
      const issued = await issue(refreshToken);
      if (input.why === 'expired' && input.current && unsealToken(input.current, key) === issued.token) {
        throw new TokenRefusedError(`${provider.name} gave the same token that just expired`);
      }
      Context.current().log.info(`New token from ${provider.name} for batch ${input.batchId} (${input.why})`);
      countRefresh(labelsOf(input.batchId), 'automatic', 'succeeded');
      return {
        sealedToken: sealToken(issued.token, key),
        expiresAt: issued.expiresAt ?? null,
        ...(issued.refreshToken ? { sealedRefreshToken: sealToken(issued.refreshToken, key) } : {}),
        provider: provider.name,
      };
    } catch (err) {
      countRefresh(labelsOf(input.batchId), 'automatic', 'failed');
      if (err instanceof TokenRefusedError) throw refusal(FailureTypes.TokenRefused, `${err.message}`);
      if (err instanceof SealKeyError) throw refusal(FailureTypes.TokenUnavailable, err.message);
      // An outage: retried (benign, so no stack trace per attempt); its message is what the batch shows at the end.
      throw ApplicationFailure.create({
        type: FailureTypes.Transient,
        message: (err as Error).message,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
  };
}
