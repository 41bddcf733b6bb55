import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../contract/failures';
import { SealKeyError, unsealToken } from '../token/seal';
import { NoTokenError, readWorkerToken } from '../token/token-provider';

/** Turns a batch's sealed token (or none) into the bearer token, caching so no call pays for it twice. */
export class TokenResolver {
  private sealed?: { sealed: string; token: string };
  private own?: { generation: number; token: Promise<string> };

  constructor(
    private readonly sealKey: () => Promise<Buffer>,
    private readonly ownToken: () => Promise<string> = readWorkerToken,
  ) {}

  async resolve(sealedToken: string | undefined, generation: number): Promise<string> {
    try {
      if (sealedToken) {
        if (this.sealed?.sealed !== sealedToken)
          this.sealed = { sealed: sealedToken, token: unsealToken(sealedToken, await this.sealKey()) };
        return this.sealed.token;
      }
      // A refresh without a token bumps the generation: read the worker's source again, once.
      if (!this.own || this.own.generation !== generation) {
        const token = this.ownToken();
        token.catch(() => (this.own = undefined));
        this.own = { generation, token };
      }
      return await this.own.token;
    } catch (err) {
      if (err instanceof SealKeyError || err instanceof NoTokenError) {
        // The operator fixes this (key or token), then sends tokenRefreshed: the batch waits, no client fails.
        throw ApplicationFailure.create({
          type: FailureTypes.TokenUnavailable,
          message: err.message,
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      throw err;
    }
  }
}
