import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes let users find batches in Temporal Web by state and progress.
// The servers clientsync starts register them (temporal-server/namespace.ts); another cluster
// registers them once with `temporal operator search-attribute create`.
export const stateKey = defineSearchAttributeKey('ClientsyncState', SearchAttributeType.KEYWORD);
export const processedKey = defineSearchAttributeKey('ClientsyncProcessed', SearchAttributeType.INT);
export const failedKey = defineSearchAttributeKey('ClientsyncFailed', SearchAttributeType.INT);
export const totalKey = defineSearchAttributeKey('ClientsyncTotal', SearchAttributeType.INT);
/** Since when the batch waits for a person (unset otherwise): `ClientsyncWaitingSince < "…"` lists long waits. */
export const waitingSinceKey = defineSearchAttributeKey('ClientsyncWaitingSince', SearchAttributeType.DATETIME);

/** The keys a server registers for clientsync (temporal-server/namespace.ts; docker-compose.yml lists the same). */
export const searchAttributeKeys = [stateKey, processedKey, failedKey, totalKey, waitingSinceKey] as const;
