import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { searchAttributeKeys } from '../contract/search-attributes';
import { openConnection } from '../connection/connection';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a closed batch stays in history: long enough to read its results after a weekend. */
const RETENTION = '72h';

/**
 * Makes `namespace` ready for batches on a server clientsync started: the namespace (kept 72 h after a batch
 * closes) and clientsync's search attributes, through the server's own API. Again changes nothing.
 */
export async function prepareNamespace(address: string, namespace = 'default', timeoutMs = 60_000): Promise<void> {
  const connection = await openConnection({ address, connectTimeout: 5000 });
  try {
    const svc = connection.workflowService;
    const exists = await svc.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    if (!exists)
      await svc
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) })
        .catch(ignoreAlreadyExists);
    // A new namespace reaches every service within moments; until then adding attributes may be refused.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await addMissingSearchAttributes(connection, namespace);
        return;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`the namespace ${namespace} could not be prepared: ${(err as Error).message}`);
        await sleep(100);
      }
    }
  } finally {
    await connection.close();
  }
}

async function addMissingSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = searchAttributeKeys.filter((key) => !customAttributes?.[key.name]);
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(
    missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes }).catch(ignoreAlreadyExists);
  const after = await connection.operatorService.listSearchAttributes({ namespace });
  const still = missing.filter((key) => !after.customAttributes?.[key.name]);
  if (still.length) throw new Error(`search attributes not registered yet: ${still.map((k) => k.name).join(', ')}`);
}

function ignoreAlreadyExists(err: { code?: number }): void {
  if (err.code !== 6) throw err; // ALREADY_EXISTS: another start got there first
}
