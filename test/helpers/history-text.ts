import type { Harness } from './harness';

/** History JSON with every payload's base64 `data` decoded, so a plaintext secret inside a payload would show. */
function decodePayloads(json: string): string {
  return json.replace(
    /"data":"([A-Za-z0-9+/=]+)"/g,
    (_m, b64: string) => `"data":${JSON.stringify(Buffer.from(b64, 'base64').toString('utf8'))}`,
  );
}

/** Every run of a batch as Temporal keeps and shows it (history and description), payloads decoded. */
export async function historyText(h: Harness, batchId: string): Promise<string> {
  const runs: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `WorkflowId = '${batchId}'` })) {
    const run = h.client.workflow.getHandle(batchId, wf.runId);
    runs.push(
      decodePayloads(JSON.stringify(await run.fetchHistory())),
      decodePayloads(JSON.stringify(await run.describe())),
    );
  }
  return runs.join('\n');
}
