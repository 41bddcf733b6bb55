import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../shared';
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
        throw ApplicationFailure.create({ type: FailureTypes.StoreUnavailable, message: err.message, category: ApplicationFailureCategory.BENIGN });
      }
      throw err;
    }
  };
}
