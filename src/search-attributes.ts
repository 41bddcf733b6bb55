import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes let users find batches in Temporal Web by state and progress.
// The dev server registers them at start (see temporal-server/dev-server.ts); a production
// cluster registers them once with `temporal operator search-attribute create`.
export const stateKey = defineSearchAttributeKey('ClientsyncState', SearchAttributeType.KEYWORD);
export const processedKey = defineSearchAttributeKey('ClientsyncProcessed', SearchAttributeType.INT);
export const failedKey = defineSearchAttributeKey('ClientsyncFailed', SearchAttributeType.INT);
export const totalKey = defineSearchAttributeKey('ClientsyncTotal', SearchAttributeType.INT);
/** Since when the batch waits for a person (unset otherwise): `ClientsyncWaitingSince < "…"` lists long waits. */
export const waitingSinceKey = defineSearchAttributeKey('ClientsyncWaitingSince', SearchAttributeType.DATETIME);

/** name=Type pairs, as `temporal server start-dev --search-attribute` wants them. */
export const searchAttributeDefinitions: ReadonlyArray<readonly [string, string]> = [
  [stateKey.name, 'Keyword'],
  [processedKey.name, 'Int'],
  [failedKey.name, 'Int'],
  [totalKey.name, 'Int'],
  [waitingSinceKey.name, 'Datetime'],
];
