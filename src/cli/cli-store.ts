import { RuntimeError } from '../contract/errors';
import { openResultsStore, type ResultsStore } from '../store/results-store';
import { describeStore } from '../store/store-url';

/**
 * The results store that RESULTS_DATABASE_URL names (default: .clientsync/results.db); one line when it cannot be
 * opened.
 */
export async function openCliStore(): Promise<ResultsStore> {
  try {
    return await openResultsStore();
  } catch (err) {
    throw new RuntimeError(
      `cannot open the results store (${describeStore()}): ${(err as Error).message}; RESULTS_DATABASE_URL names the store the workers use`,
    );
  }
}

/** Runs `fn` with the CLI's results store open, closing it after. */
export async function withCliStore<T>(fn: (store: ResultsStore) => Promise<T>): Promise<T> {
  const store = await openCliStore();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
