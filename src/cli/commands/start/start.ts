import { reportCanary } from './canary-report';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { compileExpiredRegex } from '../../../domain/classify';
import {
  checkBodyOnEntries,
  checkRequestSpec,
  entryFieldCheck,
  namesGroupFields,
} from '../../../domain/request/check-request';
import { renderRequest, requestText } from '../../../domain/request/render-request';
import { idempotencyKey } from '../../../domain/request/http-call';
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
  type ClientEntry,
  type SourceReport,
} from '../../../domain/sources';
import { UserError } from '../../../contract/errors';
import { attributeOf, OPTION_TABLE, setOption, type TableFlags } from '../../../contract/option-table';
import { startBatchWorkflow } from '../../../connection/start-batch';
import type { BatchInput } from '../../../contract/batch-input';
import {
  recordedOptions,
  requestOf,
  resolveOptions,
  type BatchOptionsInput,
  type RequestSpec,
} from '../../../contract/options';
import { loadSealKey, sealToken } from '../../../token/seal';
import { jwtExpiry } from '../../../token/token-expiry';
import { withClient } from '../../../connection/batch-view';
import { webLine, webUrl } from '../../web-link';
import type { CliIO } from '../../io';
import { withCliStore } from '../../cli-store';
import { readTokenInput, type TokenFlags } from '../../token-input';
import { watchBatch } from '../status/status';

/** `start`'s parsed flags: the batch options of the options table (TableFlags), and the rest. */
export interface StartOptions extends TokenFlags, TableFlags {
  clients: string;
  apiUrl?: string;
  id?: string;
  format?: SourceFormat;
  /** Where alerts go, sealed into the batch. */
  notify?: string;
  /** Validate and report only. */
  dryRun?: boolean;
  /** The JSONata body expression, from a file. */
  bodyFile?: string;
  /** Print the first requests as they will be sent, the credential redacted. */
  showRequest?: boolean;
  taskQueue?: string;
  /** Use the workers' own token source (their token provider, or API_TOKEN). */
  workerToken?: boolean;
  wait?: boolean;
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

/** The first entries start checks a body against; the first SHOWN of them it prints with --show-request. */
const CHECKED_ENTRIES = 10;
const SHOWN_REQUESTS = 3;

/**
 * Checks the clients file (or URL) to the end, each entry against what the request needs of it, and says
 * what the batch will read.
 */
async function readSource(
  opts: StartOptions,
  check?: (entry: ClientEntry) => void,
  groupFields = false,
): Promise<{ source: SourceRef; report: SourceReport }> {
  const remote = isUrl(opts.clients);
  const source: SourceRef = {
    path: remote ? opts.clients : path.resolve(opts.clients),
    format: opts.format ?? detectFormat(opts.clients),
    ...(groupFields ? { groupFields } : {}),
  };
  try {
    // A URL's size and ETag, or a file's size and SHA-256, are recorded now, so a page read later from a changed one is
    // refused.
    // Validation reads the recorded version, so a file changed while it is validated is refused too.
    if (remote) source.version = await probeUrl(source.path);
    else if (await isFile(source.path)) source.version = await fileVersion(source.path);
    return { source, report: await validateSource(source, { check, keepFirst: CHECKED_ENTRIES }) };
  } catch (err) {
    if (err instanceof SourceError) {
      const fix = err.notFound ? `; check the --clients ${remote ? 'URL' : 'path'}` : '';
      throw new UserError(`${remote ? err.message : `${opts.clients}: ${err.message}`}${fix}`);
    }
    throw err;
  }
}

/** Everything start checks before it touches Temporal: a bad input starts nothing. */
export async function prepareStart(
  opts: StartOptions,
  io: CliIO,
): Promise<{ input: BatchInput; report: SourceReport; request: RequestSpec }> {
  const apiUrl = opts.apiUrl ?? process.env.API_BASE_URL ?? '';
  if (!apiUrl && (!opts.dryRun || opts.showRequest))
    throw new UserError('no API URL: pass --api-url URL or set API_BASE_URL');
  const options = await optionsOf(opts);
  const request = requestOf(resolveOptions(options));
  let groupFields = false;
  try {
    if (apiUrl) checkRequestSpec(request, apiUrl);
    groupFields = namesGroupFields(request, apiUrl, opts.format ?? detectFormat(opts.clients));
    if (opts.expiredRegex !== undefined) compileExpiredRegex(opts.expiredRegex);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  if (opts.onWaitTimeout && opts.onWaitTimeout !== 'keep-waiting' && !opts.waitTimeout) {
    throw new UserError(`--on-wait-timeout ${opts.onWaitTimeout} needs --wait-timeout, e.g. --wait-timeout 2h`);
  }
  if (opts.localCalls && opts.clientsPerActivity !== undefined && opts.clientsPerActivity !== 1) {
    throw new UserError(
      '--local-calls runs one client per local activity: drop --clients-per-activity, or drop --local-calls to call in chunks',
    );
  }
  const token = await readTokenInput(opts, io);
  if (!token && !opts.workerToken && !opts.dryRun) {
    throw new UserError(
      "no API token: set API_TOKEN, or pass --token-file F or --token-stdin (or --worker-token to use the workers' own)",
    );
  }
  if (token && request.auth === 'basic' && !token.includes(':'))
    throw new UserError('--auth basic takes the token as user:password; the token has no ":"');
  const check = apiUrl ? entryFieldCheck(request, apiUrl) : undefined;
  const { source, report } = await readSource(opts, check, groupFields);
  await checkBodyOnEntries(request, report.first ?? []).catch((err: Error) => {
    throw new UserError(`${sourceName(opts.clients)}: ${err.message}`);
  });
  // The batch writes to the store this host names; workers with another refuse it, so outcomes never scatter.
  const store = opts.dryRun ? undefined : await withCliStore(async (s) => s.identity);
  const sealedNotifyUrl =
    opts.notify && !opts.dryRun ? sealToken(opts.notify, await loadSealKey({ create: true })) : undefined;
  const expiresAt = token ? jwtExpiry(token) : undefined;
  const batchId =
    opts.id ??
    `batch-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${Math.random().toString(36).slice(2, 6)}`;
  const input: BatchInput = {
    batchId,
    source,
    apiUrl,
    total: report.total,
    options,
    ...(token && !opts.dryRun ? { sealedToken: sealToken(token, await loadSealKey({ create: true })) } : {}),
    ...(expiresAt && !opts.dryRun ? { tokenExpiresAt: expiresAt } : {}),
    ...(sealedNotifyUrl ? { sealedNotifyUrl } : {}),
    ...(store ? { store } : {}),
  };
  return { input, report, request };
}

/**
 * The batch's options: the flags given, --body-file read into --body, and the defaults of this release
 * recorded for the rest (recordedOptions).
 */
async function optionsOf(opts: StartOptions): Promise<BatchOptionsInput> {
  const options: BatchOptionsInput = {};
  for (const row of OPTION_TABLE) {
    const value = (opts as unknown as Record<string, unknown>)[attributeOf(row.flag)];
    if (value !== undefined && !(row.type.kind === 'switch' && !value)) setOption(options, row, value);
  }
  if (opts.bodyFile !== undefined) {
    if (opts.body !== undefined) throw new UserError('--body and --body-file both give the body; keep one');
    options.body = await readFile(opts.bodyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`--body-file ${opts.bodyFile} cannot be read (${err.code ?? err.message}); check the path`);
    });
  }
  return recordedOptions(options);
}

/** The first requests, exactly as the batch will send them, the credential REDACTED. */
async function showRequests(
  input: BatchInput,
  request: RequestSpec,
  first: readonly ClientEntry[],
  io: CliIO,
): Promise<void> {
  for (const entry of first.slice(0, SHOWN_REQUESTS)) {
    // The first run id is known once the batch starts; until then the key shows where it goes.
    const key = `${idempotencyKey(input.batchId, undefined, '')}<first run id>:${encodeURIComponent(entry.id)}`;
    io.out(`\n${requestText(await renderRequest(request, input.apiUrl, entry, key, '', true))}`);
  }
}

/** `clientsync start`: validates the source (streaming), then starts one batch workflow. */
export async function start(opts: StartOptions, io: CliIO): Promise<StartResult> {
  const { input, report, request } = await prepareStart(opts, io);
  io.out(`${sourceName(opts.clients)}: ${report.total} clients (${source(input)}).`);
  if (report.duplicateEntries > 0) {
    const sample = report.duplicates
      .slice(0, 5)
      .map((d) => `${d.id} ×${d.count}`)
      .join(', ');
    io.err(
      `warning: ${report.duplicateEntries} duplicate entries (${sample}${report.duplicates.length > 5 ? ', …' : ''}); each ClientId is called once`,
    );
  }
  if (opts.canary !== undefined && opts.canary >= report.total)
    io.err(
      `warning: --canary ${opts.canary} holds all ${report.total} clients; the batch calls them all and ends, with no pause`,
    );
  if (opts.showRequest) await showRequests(input, request, report.first ?? [], io);
  if (opts.dryRun) {
    io.out('Dry run: the file is valid; nothing was started.');
    return { batchId: input.batchId, report };
  }
  return withClient(async (client, namespace, address) => {
    const url = webUrl(input.batchId, namespace, address);
    if (url) input.webUrl = url;
    const handle = await startBatchWorkflow(client, input, opts.taskQueue);
    io.out(`Started batch ${handle.workflowId}`);
    io.out(webLine(url, address));
    if (input.options?.canary) await reportCanary(client, input, handle.firstExecutionRunId, io);
    if (opts.wait) await watchBatch(client, input.batchId, io);
    return { batchId: input.batchId, report, webUrl: url };
  });
}

function source(input: BatchInput): string {
  return `${input.source.format}, ${sourceName(input.source.path)}`;
}
