import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../contract/failures';
import { StoreUnavailableError } from '../store/store-health';

/**
 * Wraps an API activity so that a results store outage fails the attempt as an expected, retried failure
 * (benign: the SDK logs it at debug level, without a stack trace); the store logs the outage once itself.
 */
export function expectedFailure<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        throw ApplicationFailure.create({
          type: FailureTypes.StoreUnavailable,
          message: err.message,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      throw err;
    }
  };
}

/** The one-line log messages for a client's expected outcomes, the same in both activity modes. */
export const outcomeLine = {
  failed: (clientId: string, reason: string) => `ClientId ${clientId} failed: ${reason}`,
  tokenExpired: (clientId: string, reason: string) =>
    `ClientId ${clientId}: token expired (${reason}); the batch waits for a new one`,
  retrying: (clientId: string, reason: string, attempt: number) =>
    `ClientId ${clientId}: ${reason} on attempt ${attempt}; retrying`,
};

/** Batches whose --result failed on a response on this worker: said once per batch, not once per client. */
const resultProblemSaid = new Set<string>();

/** Says, once per batch, that --result did not apply to a response, so the whole body was kept. */
export function resultProblemLine(batchId: string, clientId: string, problem: string): string | undefined {
  if (resultProblemSaid.has(batchId)) return undefined;
  resultProblemSaid.add(batchId);
  return `Batch ${batchId}: ${problem} on the response for ClientId ${clientId}; the whole body is kept for each response it does not fit (said once per batch)`;
}
