import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, resultOf, waitForState, until, type Harness } from '../helpers/harness';
import { spawnInstalled, spawnWorker } from '../helpers/cli-process';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';

const CLIENT_KIND = 3;
const ERROR_STATUS = 2;

// `OTEL_EXPORTER_OTLP_ENDPOINT` on the CLI and the worker: a batch's start, its workflow, its activities and
// each API call reach a real OTLP/HTTP receiver as one trace. The CLI runs as installed, from its bundle, which
// loads OpenTelemetry from node_modules only when traces are on.
describe('OpenTelemetry traces over OTLP', () => {
  let h: Harness | undefined;
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('sends a batch as one trace tree, each API call an HTTP client span, with no credential in any span', async () => {
    h = await createHarness({ auth: 'query:api_key', expireAfter: 30, latencyMs: 2 });
    receiver = await startOtlpReceiver();
    const { path: file, ids } = await h.clientFile(60);
    const missing = [ids[7]!, ids[41]!];
    h.api.configure({ missingIds: missing });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' };

    const worker = await spawnWorker(h, otel);
    expect(worker.output()).toContain(`traces to ${receiver.endpoint}/v1/traces`);
    const flags = ['--api-url', `${h.api.origin}/clients/{ClientId}`, '--auth', 'query:api_key', '--concurrency', '4'];
    const start = spawnInstalled(
      h,
      ['start', '--clients', file, '--id', 'traced', '--task-queue', h.taskQueue, ...flags],
      {
        ...otel,
        API_TOKEN: h.api.issueToken(),
      },
    );
    expect(await start.exited, start.output()).toBe(0);
    const handle = h.client.workflow.getHandle('traced');
    await waitForState(handle, 'waiting-for-token');
    const refresh = spawnInstalled(h, ['refresh-token', 'traced', '--token-stdin'], otel);
    refresh.child.stdin!.end(h.api.issueToken());
    expect(await refresh.exited).toBe(0);
    const summary = await resultOf(handle);
    expect(summary).toMatchObject({ state: 'completed', succeeded: 58, failed: 2 });

    // One client span per request the API answered, in the trace the CLI's start began.
    const requests = Object.values(h.api.ledger.statusCounts).reduce((a, b) => a + b, 0);
    const calls = () => receiver!.spans.filter((s) => s.kind === CLIENT_KIND);
    // Spans leave each process in batches: wait for every one the assertions below read.
    const runSpans = () => receiver!.spans.filter((s) => s.name === 'RunWorkflow:batchWorkflow');
    await until(
      () => calls().length >= requests && runSpans().length >= 1,
      30_000,
      `${requests} HTTP client spans and the workflow's run span`,
    );
    expect(calls()).toHaveLength(requests);

    const spans = receiver.spans;
    const root = only(spans.filter((s) => s.name === 'StartWorkflow:batchWorkflow'));
    expect(root).toMatchObject({ service: 'clientsync-cli', parentSpanId: undefined });
    const trace = spans.filter((s) => s.traceId === root.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId!);
    const run = only(trace.filter((s) => s.name === 'RunWorkflow:batchWorkflow'));
    expect(run).toMatchObject({ service: 'clientsync-worker', parentSpanId: root.spanId });
    for (const call of calls()) {
      expect(call.traceId).toBe(root.traceId);
      const activity = parentOf(call)!;
      expect(activity.name).toMatch(/^RunActivity:callClients?$/);
      expect(parentOf(activity)!.name).toBe(`StartActivity:${activity.name.split(':')[1]}`);
      expect(parentOf(parentOf(activity)!)).toBe(run);
    }

    // Semantic conventions of an HTTP client span; a 404 and a 401 are errors, with their status as error.type.
    const byStatus = (status: number) => calls().filter((s) => s.attributes['http.response.status_code'] === status);
    const origin = new URL(h.api.origin);
    expect(byStatus(200)).toHaveLength(58);
    expect(byStatus(200)[0]).toMatchObject({
      name: 'GET',
      attributes: {
        'http.request.method': 'GET',
        'server.address': origin.hostname,
        'server.port': Number(origin.port),
        'url.full': expect.stringMatching(new RegExp(`^${h.api.origin}/clients/C-\\d+\\?api_key=REDACTED$`)),
        'clientsync.batch_id': 'traced',
      },
    });
    expect(byStatus(200)[0]!.attributes['error.type']).toBeUndefined();
    expect(
      byStatus(404)
        .map((s) => s.attributes['clientsync.client_id'])
        .sort(),
    ).toEqual([...missing].sort());
    for (const failed of [...byStatus(404), ...byStatus(401)]) {
      expect(failed.attributes['error.type']).toBe(String(failed.attributes['http.response.status_code']));
      expect(failed.status?.code).toBe(ERROR_STATUS);
    }
    expect(byStatus(401).length).toBeGreaterThan(0);

    // The API keys are in no span: not in url.full, not in any attribute the interceptors add.
    const sent = receiver.raw.join('\n');
    for (const key of h.api.issuedTokens()) expect(sent.includes(key), 'a span holds the API key').toBe(false);

    // Sampling is per batch: a start that OTEL_TRACES_SAMPLER leaves out sends no span, from the CLI or the worker.
    const batchSpans = (id: string) => receiver!.spans.filter((s) => s.attributes['clientsync.batch_id'] === id);
    for (const [id, sampler] of [
      ['unsampled', 'always_off'],
      ['sampled', 'always_on'],
    ] as const) {
      const small = await h.clientFile(5);
      const run = spawnInstalled(
        h,
        ['start', '--clients', small.path, '--id', id, '--task-queue', h.taskQueue, ...flags],
        {
          ...otel,
          OTEL_TRACES_SAMPLER: sampler,
          API_TOKEN: h.api.issueToken(),
        },
      );
      expect(await run.exited, run.output()).toBe(0);
      expect(await resultOf(h.client.workflow.getHandle(id))).toMatchObject({ state: 'completed', succeeded: 5 });
    }
    await until(() => batchSpans('sampled').length >= 5, 15_000, "the sampled batch's 5 client spans");
    expect(batchSpans('unsampled')).toEqual([]);
  });

  it('refuses an OTLP setting it cannot send to, in one line and before it starts anything', async () => {
    h = await createHarness();
    const { path: file } = await h.clientFile(3);
    const grpc = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      API_TOKEN: h.api.issueToken(),
    };
    const line =
      "clientsync: OTEL_EXPORTER_OTLP_PROTOCOL=grpc: clientsync sends traces over OTLP/HTTP; unset it and point the endpoint at the collector's HTTP port (4318)\n";
    for (const args of [
      ['worker', '--task-queue', h.taskQueue],
      [
        'start',
        '--clients',
        file,
        '--id',
        'grpc',
        '--task-queue',
        h.taskQueue,
        '--api-url',
        `${h.api.origin}/clients/{ClientId}`,
      ],
    ]) {
      const run = spawnInstalled(h, args, grpc);
      expect(await run.exited, run.output()).toBe(2);
      // start first says what it read from the file; the refusal is its one error line
      expect(run.output().endsWith(line), run.output()).toBe(true);
      expect(run.output().match(/^clientsync: /gm)).toHaveLength(1);
    }
    await expect(h.client.workflow.getHandle('grpc').describe()).rejects.toThrow(/not found/i);
  });
});

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}
