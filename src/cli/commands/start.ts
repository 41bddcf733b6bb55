import { stat } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { compileExpiredRegex } from '../../domain/classify';
import { checkApiUrl } from '../../domain/client-url';
import {
  detectFormat,
  fileVersion,
  isUrl,
  probeUrl,
  SourceError,
  sourceName,
  validateSource,
  type SourceFormat,
  type SourceRef,
  type SourceReport,
} from '../../domain/sources';
import { UserError } from '../../errors';
import { attributeOf, OPTION_TABLE, setOption } from '../../contract/option-table';
import { startBatchWorkflow } from '../../start-batch';
import type { BatchInput } from '../../contract/batch';
import type { BatchOptions, BatchOptionsInput } from '../../contract/options';
import type { StoreIdentity } from '../../contract/store-identity';
import { loadSealKey, sealToken } from '../../token/seal';
import { jwtExpiry } from '../../token/token-expiry';
import { webLine, webUrl, withClient } from '../batches';
import type { CliIO } from '../io';
import { withCliStore } from '../cli-store';
import { readTokenInput, type TokenFlags } from '../token-input';
import { watchBatch } from './status';

export interface StartOptions extends TokenFlags {
  clients: string;
  apiUrl?: string;
  id?: string;
  format?: SourceFormat;
  concurrency?: number;
  pageSize?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  expiredRegex?: string;
  eventBudget?: number;
  clientsPerActivity?: number;
  localCalls?: boolean;
  rps?: number;
  /** false (--no-auto-refresh): an expired token always waits for a person, even when the workers have a token provider. */
  autoRefresh?: boolean;
  /** Where alerts go (sealed into the batch), how often while it waits, and how long it waits for a person. */
  notify?: string;
  notifyEvery?: number;
  waitTimeout?: number;
  onWaitTimeout?: BatchOptionsInput['onWaitTimeout'];
  maxFailures?: BatchOptions['maxFailures'];
  minSample?: number;
  onMaxFailures?: BatchOptions['onMaxFailures'];
  /** Set by retry-failed: the redriven batch's alert URL, sealed. */
  baseSealedNotifyUrl?: string;
  /** Validate and report only. */
  dryRun?: boolean;
  taskQueue?: string;
  /** Use the workers' own token source (their token provider, or API_TOKEN). */
  workerToken?: boolean;
  wait?: boolean;
  /** Set by retry-failed: the batch this one redrives. */
  retryOf?: string;
  /** Set by retry-failed: the redriven batch's options, which the flags above override. */
  baseOptions?: BatchOptionsInput;
  /** Set by retry-failed: a source already checked (the failed clients in the results store), instead of --clients, and that store. */
  prepared?: { source: SourceRef; report: SourceReport; store?: StoreIdentity };
}

export interface StartResult {
  batchId: string;
  report: SourceReport;
  /** Temporal Web's page for the batch, when the server's Web is known. */
  webUrl?: string;
}

/** A path that is a file; anything else is left to validation, which names the problem. */
const isFile = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Checks the clients file (or URL) to the end, and says what the batch will read. */
async function readSource(opts: StartOptions): Promise<{ source: SourceRef; report: SourceReport }> {
  const remote = isUrl(opts.clients);
  const source: SourceRef = { path: remote ? opts.clients : path.resolve(opts.clients), format: opts.format ?? detectFormat(opts.clients) };
  try {
    // A URL's size and ETag, or a file's size and SHA-256, are recorded now, so a page read later from a changed one is refused.
    // Validation reads the recorded version, so a file changed while it is validated is refused too.
    if (remote) source.version = await probeUrl(source.path);
    else if (await isFile(source.path)) source.version = await fileVersion(source.path);
    return { source, report: await validateSource(source) };
  } catch (err) {
    if (err instanceof SourceError) {
      const fix = err.notFound ? `; check the --clients ${remote ? 'URL' : 'path'}` : '';
      throw new UserError(`${remote ? err.message : `${opts.clients}: ${err.message}`}${fix}`);
    }
    throw err;
  }
}

/** Everything start checks before it touches Temporal: a bad input starts nothing. */
export async function prepareStart(opts: StartOptions, io: CliIO): Promise<{ input: BatchInput; report: SourceReport }> {
  const apiUrl = opts.apiUrl ?? process.env.API_BASE_URL ?? '';
  if (!apiUrl && !opts.dryRun) throw new UserError('no API URL: pass --api-url URL or set API_BASE_URL');
  try {
    if (apiUrl) checkApiUrl(apiUrl);
    if (opts.expiredRegex !== undefined) compileExpiredRegex(opts.expiredRegex);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  if (opts.onWaitTimeout && opts.onWaitTimeout !== 'keep-waiting' && !(opts.waitTimeout ?? opts.baseOptions?.waitTimeoutMs)) {
    throw new UserError(`--on-wait-timeout ${opts.onWaitTimeout} needs --wait-timeout, e.g. --wait-timeout 2h`);
  }
  if (opts.localCalls && (opts.clientsPerActivity ?? 1) > 1) {
    throw new UserError('--local-calls runs one client per local activity: drop --clients-per-activity, or drop --local-calls to call in chunks');
  }
  const token = await readTokenInput(opts, io);
  if (!token && !opts.workerToken && !opts.dryRun) {
    throw new UserError("no API token: set API_TOKEN, or pass --token-file F or --token-stdin (or --worker-token to use the workers' own)");
  }
  const { source, report } = opts.prepared ?? (await readSource(opts));
  // The batch writes to the store this host names; workers with another refuse it, so outcomes never scatter.
  const store = opts.dryRun ? undefined : (opts.prepared?.store ?? (await withCliStore(async (s) => s.identity)));
  const options: BatchOptionsInput = { ...opts.baseOptions };
  for (const row of OPTION_TABLE) {
    const value = (opts as unknown as Record<string, unknown>)[attributeOf(row.flag)];
    if (value !== undefined && !(row.type.kind === 'switch' && !value)) setOption(options, row, value);
  }
  const sealedNotifyUrl = opts.notify && !opts.dryRun ? sealToken(opts.notify, await loadSealKey({ create: true })) : opts.baseSealedNotifyUrl;
  const expiresAt = token ? jwtExpiry(token) : undefined;
  const batchId = opts.id ?? `batch-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${Math.random().toString(36).slice(2, 6)}`;
  const input: BatchInput = {
    batchId,
    source,
    apiUrl,
    total: report.total,
    options,
    ...(token && !opts.dryRun ? { sealedToken: sealToken(token, await loadSealKey({ create: true })) } : {}),
    ...(expiresAt && !opts.dryRun ? { tokenExpiresAt: expiresAt } : {}),
    ...(sealedNotifyUrl ? { sealedNotifyUrl } : {}),
    ...(opts.retryOf ? { retryOf: opts.retryOf } : {}),
    ...(store ? { store } : {}),
  };
  return { input, report };
}

/** `clientsync start`: validates the source (streaming), then starts one batch workflow. */
export async function start(opts: StartOptions, io: CliIO): Promise<StartResult> {
  const { input, report } = await prepareStart(opts, io);
  io.out(`${sourceName(opts.clients)}: ${report.total} clients (${source(input)}).`);
  if (report.duplicateEntries > 0) {
    const sample = report.duplicates
      .slice(0, 5)
      .map((d) => `${d.id} ×${d.count}`)
      .join(', ');
    io.err(`warning: ${report.duplicateEntries} duplicate entries (${sample}${report.duplicates.length > 5 ? ', …' : ''}); each ClientId is called once`);
  }
  if (opts.dryRun) {
    io.out('Dry run: the file is valid; nothing was started.');
    return { batchId: input.batchId, report };
  }
  return withClient(async (client, namespace, address) => {
    const url = webUrl(input.batchId, namespace, address);
    if (url) input.webUrl = url;
    const handle = await startBatchWorkflow(client, input, opts.taskQueue).catch((err: unknown) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new UserError(`a batch with id ${input.batchId} already exists; pick another --id (\`clientsync status ${input.batchId}\` shows it)`);
      }
      throw err;
    });
    io.out(`Started batch ${handle.workflowId}`);
    io.out(webLine(url, address));
    if (opts.wait) await watchBatch(client, input.batchId, io);
    return { batchId: input.batchId, report, webUrl: url };
  });
}

function source(input: BatchInput): string {
  return `${input.source.format}, ${sourceName(input.source.path)}`;
}
