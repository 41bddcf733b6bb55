import { BATCH_WORKFLOW_TYPE } from '../../../contract/batch-input';
import { failedKey, processedKey, stateKey, totalKey } from '../../../contract/search-attributes';
import { withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';

export interface ListedBatch {
  batchId: string;
  status: string;
  state: string | null;
  processed: number | null;
  total: number | null;
  failed: number | null;
  startTime: string;
}

/**
 * `clientsync list`: batches from a visibility query, newest first, with state and progress. Visibility has a
 * row per run, and a batch that continued as new has several: each batch is shown once, from its latest run.
 */
export async function list(opts: { json?: boolean; limit?: number }, io: CliIO): Promise<ListedBatch[]> {
  return withClient(async (client) => {
    const latest = new Map<string, ListedBatch & { runStart: number }>();
    for await (const wf of client.workflow.list({ query: `WorkflowType = '${BATCH_WORKFLOW_TYPE}'` })) {
      const seen = latest.get(wf.workflowId);
      if (seen && seen.runStart >= wf.startTime.getTime()) continue;
      if (!seen && latest.size >= (opts.limit ?? 50)) break;
      const sa = wf.typedSearchAttributes;
      latest.set(wf.workflowId, {
        batchId: wf.workflowId,
        status: wf.status.name,
        state: sa.get(stateKey) ?? null,
        processed: sa.get(processedKey) ?? null,
        total: sa.get(totalKey) ?? null,
        failed: sa.get(failedKey) ?? null,
        startTime: wf.startTime.toISOString(),
        runStart: wf.startTime.getTime(),
      });
    }
    const rows = [...latest.values()].sort((a, b) => b.runStart - a.runStart).map(({ runStart: _, ...row }) => row);
    if (opts.json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out('No batches yet. `clientsync start --clients FILE --api-url URL` starts one.');
    else {
      io.out(['BATCH', 'STATE', 'PROGRESS', 'FAILED', 'STARTED'].join('\t'));
      for (const r of rows) {
        io.out(
          [
            r.batchId,
            r.state ?? r.status.toLowerCase(),
            `${r.processed ?? 0}/${r.total ?? '?'}`,
            r.failed ?? 0,
            r.startTime,
          ].join('\t'),
        );
      }
    }
    return rows;
  });
}
