import { ApplicationFailure } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { hostname } from 'node:os';
import { FailureTypes } from '../contract/failures';
import { storeLabel } from '../contract/store-identity';
import type { ResultsStore } from '../store/results-store';

/**
 * Refuses a batch's activity on a worker whose results store is not the batch's, before anything is
 * claimed or called: outcomes never scatter over several stores. The workflow pauses the batch, naming both.
 */
export function checkStore(store: ResultsStore, expected: string | undefined): void {
  if (expected === undefined || expected === store.identity.id) return;
  throw ApplicationFailure.create({
    type: FailureTypes.StoreMismatch,
    message: `worker on ${hostname()} writes results to ${storeLabel(store.identity)}`,
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
}
