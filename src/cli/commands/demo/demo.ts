import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { clientIds, writeSeedClientFile } from '../../../fake-api/client-file';
import { startFakeApi } from '../../../fake-api';
import { stateDir } from '../../../domain/paths';
import type { BatchProgress } from '../../../contract/progress';
import { openResultsStore, type ResultsStore } from '../../../store/results-store';
import { startDevServer, type DevServer } from '../../../temporal-server/dev-server';
import { connectWorker, serverAnswers, temporalTarget } from '../../../connection/connection';
import { createWorker, workflowsPath } from '../../../worker/create-worker';
import { startTracing } from '../../../telemetry/tracing';
import { bundleBuild, makeCurrent } from '../../../worker/deployment';
import { installRuntime, shutDownOnFailure } from '../../../worker/runtime';
import { withClient } from '../../../connection/batch-view';
import { startConsole, type RunningConsole } from '../../../console/serve-console';
import { signOperatorLink } from '../../../token/alert-link';
import { loadSealKey } from '../../../token/seal';
import { webLine, webUrl } from '../../web-link';
import { buildLog, untilSignal, type CliIO } from '../../io';
import { refreshToken } from '../refresh-token/refresh-token';
import { results } from '../results/results';
import { start } from '../start/start';
import { watchBatch } from '../status/status';

const DEMO_QUEUE = 'clientsync-demo';

export interface DemoOptions {
  clients: number;
  keep?: boolean;
}

/** Gets a token the way an operator would: from the API's token endpoint. */
async function fetchToken(origin: string): Promise<string> {
  const res = await fetch(`${origin}/token`, { method: 'POST' });
  return ((await res.json()) as { token: string }).token;
}

/** The console on 127.0.0.1:8080 (or a free port), with no way in but the demo's sign-in link. */
async function demoConsole(address: string): Promise<RunningConsole> {
  const options = {
    linksOnly: true,
    webLink: (batchId: string, namespace: string) => webUrl(batchId, namespace, address),
    log: () => {},
  };
  return startConsole({ ...options, listen: '127.0.0.1:8080' }).catch(() =>
    startConsole({ ...options, listen: '127.0.0.1:0' }),
  );
}

/**
 * `clientsync demo`: the whole story on a machine with nothing running. A dev server (unless one answers),
 * a worker and a fake API whose token expires mid-batch; a batch over a generated seed-format file; the
 * wait for a token and the refresh through the CLI path; the summary, the results file and the Web link.
 */
export async function demo(opts: DemoOptions, io: CliIO): Promise<BatchProgress> {
  // The story is the output: keep the SDK's routine worker chatter out of it.
  const runtime = installRuntime({ level: 'WARN', write: io.err });
  return shutDownOnFailure(runtime, () => tellStory(opts, io)); // a server that cannot start still ends the process
}

async function tellStory(opts: DemoOptions, io: CliIO): Promise<BatchProgress> {
  const dir = path.join(stateDir(), 'demo');
  await mkdir(dir, { recursive: true });
  const target = temporalTarget();
  const server = await demoServer(target.address, io);
  const expireAfter = Math.max(50, Math.ceil(opts.clients / 2.5));
  const api = await startFakeApi({ expireAfter, latencyMs: 3, jitterMs: 4, seed: 42 });
  io.out(`   Fake clients API at ${api.baseUrl} (a token expires after ${expireAfter} calls).`);
  const store = await openResultsStore();
  const worker = await demoWorker(target, store);
  let console_: RunningConsole | undefined;
  try {
    console_ = await demoConsole(target.address);
    await withClient((client) => makeCurrent(client, worker.deployment));
    io.out(`   Worker running on task queue ${DEMO_QUEUE}, build ${worker.deployment.buildId}.`);
    const { batchId, final } = await runBatch(opts, dir, api.origin, api.baseUrl, io);
    await sayEnding(
      opts,
      { batchId, final, dir, target, consoleUrl: console_.url },
      api.ledger.check(clientIds(opts.clients)),
      io,
    );
    if (opts.keep) {
      io.out('--keep: the server, worker and fake API keep running; Ctrl-C stops them.');
      await untilSignal();
    }
    return final;
  } finally {
    await console_?.close();
    await worker.stop();
    await store.close();
    await api.close();
    await server?.stop();
  }
}

/** The server at the target's address, or a dev server started there (returned, to stop at the end). */
async function demoServer(address: string, io: CliIO): Promise<DevServer | undefined> {
  if (await serverAnswers(address)) {
    io.out(`1. Using the Temporal server at ${address}.`);
    return undefined;
  }
  const port = Number(address.split(':').pop()) || 7233;
  io.out(`1. Starting the Temporal dev server on 127.0.0.1:${port}…`);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT) || 8233;
  const server = await startDevServer({
    port,
    uiPort,
    dbFile: path.join(stateDir(), 'temporal.db'),
    log: buildLog(io, io.out),
  });
  io.out(`   It runs ${server.runs}.`);
  return server;
}

/** A worker on a task queue and deployment of its own, so the demo's build never becomes current for real batches. */
async function demoWorker(target: ReturnType<typeof temporalTarget>, store: ResultsStore) {
  const connection = await connectWorker(target);
  const { bundle, buildId } = await bundleBuild(workflowsPath());
  const deployment = { deploymentName: DEMO_QUEUE, buildId };
  const tracing = await startTracing('clientsync-demo');
  const worker = await createWorker({
    connection,
    namespace: target.namespace,
    taskQueue: DEMO_QUEUE,
    store,
    workflowBundle: bundle,
    deployment,
    tracing,
  });
  const running = worker.run();
  return {
    deployment,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Steps 2 and 3: the batch started through `start`, and its expired token refreshed through `refresh-token`. */
async function runBatch(opts: DemoOptions, dir: string, apiOrigin: string, apiUrl: string, io: CliIO) {
  const clientsFile = path.join(dir, 'client_file.json');
  await writeSeedClientFile(clientsFile, opts.clients, { groupSize: 250 });
  const tokenFile = path.join(dir, 'api-token');
  await writeFile(tokenFile, await fetchToken(apiOrigin), { mode: 0o600 });
  io.out(`2. Starting a batch over ${opts.clients} clients in ${clientsFile}:`);
  const id = `demo-${Date.now().toString(36)}`;
  const flags = { clients: clientsFile, apiUrl, tokenFile, concurrency: 8, id, taskQueue: DEMO_QUEUE };
  const { batchId } = await start(flags, io);
  const final = await withClient((client) =>
    watchBatch(client, batchId, io, {
      intervalMs: 250,
      plainLineEveryMs: 3000,
      onProgress: async (progress) => {
        if (progress.state !== 'waiting-for-token') return;
        if (io.isTTY) io.out('');
        io.out(
          `3. The token expired: the batch is waiting for tokenRefreshed, resume from ClientId ${progress.resumeFromClientId}.`,
        );
        io.out('   Getting a new token and running `clientsync refresh-token` with it:');
        await writeFile(tokenFile, await fetchToken(apiOrigin), { mode: 0o600 });
        await refreshToken(batchId, { tokenFile }, io);
      },
    }),
  );
  return { batchId, final };
}

/** Step 4: the summary, the API's own count, the results file, and where to look next. */
async function sayEnding(
  opts: DemoOptions,
  run: {
    batchId: string;
    final: BatchProgress;
    dir: string;
    target: ReturnType<typeof temporalTarget>;
    consoleUrl: string;
  },
  check: { missing: string[]; repeated: string[] },
  io: CliIO,
): Promise<void> {
  const { batchId, final, target } = run;
  io.out(
    `4. Batch ${batchId} ${final.state}: ${final.succeeded} succeeded, ${final.failed} failed, ${final.tokenRefreshes} token refreshes, ${final.run} run(s).`,
  );
  if (final.failure) io.out(`   Why it failed: ${final.failure}`);
  io.out(
    `   The API's ledger: ${opts.clients - check.missing.length} clients called successfully, ` +
      `${check.missing.length} missing, ${check.repeated.length} called twice.`,
  );
  await results(batchId, { out: path.join(run.dir, 'results.json'), format: 'json' }, io);
  io.out(`   ${webLine(webUrl(batchId, target.namespace, target.address), target.address)}`);
  const signIn = await signOperatorLink(run.consoleUrl, await loadSealKey(), 3600_000);
  io.out(`   Console: ${signIn} (signs you in for this demo only, once, within the hour)`);
}
