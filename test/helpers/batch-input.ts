import { randomUUID } from 'node:crypto';
import { detectFormat } from '../../src/domain/sources';
import type { BatchInput } from '../../src/contract/batch-input';

/**
 * A batch over a clients file against an API, as tests and benchmarks start one directly; `input` overrides any field.
 */
export function batchInputFor(
  clientsPath: string,
  apiUrl: string,
  sealedToken: string,
  input: Partial<BatchInput> = {},
  idPrefix = 'batch',
): BatchInput {
  return {
    batchId: `${idPrefix}-${randomUUID()}`,
    source: { path: clientsPath, format: detectFormat(clientsPath) },
    apiUrl,
    sealedToken,
    ...input,
  };
}
