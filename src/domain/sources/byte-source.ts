// Where a source's bytes come from: a file every worker can open, or an HTTP(S) URL read with Range
// requests (S3 and GCS presigned URLs included), so no host has to hold the file. The byte cursor is the
// file offset or the Range start alike.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SourceChangedError, SourceError, type SourceRef, type SourceVersion } from '../../contract/sources';

export function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** What names the file in messages: the URL without its query (a presigned URL's signature stays out of logs). */
export function sourceName(path: string): string {
  if (!isUrl(path)) return path;
  const u = new URL(path);
  return `${u.origin}${u.pathname}`;
}

/** The version of the object a response describes. */
function versionOf(res: Response): SourceVersion {
  const range = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
  const size = range ? Number(range[1]) : Number(res.headers.get('content-length') ?? NaN);
  const etag = res.headers.get('etag') ?? undefined;
  const lastModified = res.headers.get('last-modified') ?? undefined;
  return { size, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

/** How `now` differs from the version recorded at start, or undefined when it is the same object. */
function changeOf(recorded: SourceVersion, now: SourceVersion): string | undefined {
  if (recorded.etag && now.etag !== recorded.etag) return `its ETag is ${now.etag ?? 'gone'}, was ${recorded.etag}`;
  if (!recorded.etag && recorded.lastModified && now.lastModified !== recorded.lastModified)
    return `it was modified ${now.lastModified ?? '?'}, was ${recorded.lastModified}`;
  if (Number.isFinite(now.size) && now.size !== recorded.size)
    return `its size is ${now.size} bytes, was ${recorded.size}`;
  return undefined;
}

async function get(url: string, headers: Record<string, string>): Promise<Response> {
  try {
    return await fetch(url, { headers: { 'cache-control': 'no-cache', ...headers } });
  } catch (err) {
    // Unreachable for now: a plain error, which the activity's retry policy retries.
    throw new Error(`${sourceName(url)} cannot be fetched: ${(err as Error).cause ?? (err as Error).message}`);
  }
}

/**
 * Checks an HTTP source before a batch starts: it answers, and honours Range requests (the byte cursor
 * depends on it). Returns its size and ETag/Last-Modified, recorded in the batch so a changed object is caught.
 */
export async function probeUrl(url: string): Promise<SourceVersion> {
  const res = await get(url, { range: 'bytes=0-0' });
  await res.body?.cancel();
  if (res.status === 404) throw new SourceError(`${sourceName(url)} answered 404 Not Found`, true);
  if (res.status !== 206) {
    throw new SourceError(
      `${sourceName(url)} does not honour Range requests (answered ${res.status}${res.status === 200 ? ' with the whole file' : ''}); ` +
        `serve it from a server that does (S3, GCS, nginx) or copy it to a path every worker can read`,
    );
  }
  const version = versionOf(res);
  if (!Number.isFinite(version.size))
    throw new SourceError(`${sourceName(url)} gave no size in Content-Range; serve it from a server that does`);
  return version;
}

/** Per path, the size and mtime at which this process last found the file equal to the recorded version. */
const verified = new Map<string, string>();

/**
 * A local file as it is at start: its size, modification time and SHA-256 (one streaming pass), recorded in
 * the batch so that a worker never reads a page from a file that was rewritten, truncated or appended to.
 */
export async function fileVersion(path: string): Promise<SourceVersion> {
  const s = await stat(path);
  const sha256 = await sha256Of(path);
  verified.set(path, `${sha256}:${s.size}:${s.mtimeMs}`);
  return { size: s.size, lastModified: s.mtime.toISOString(), sha256 };
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest('hex');
}

/**
 * Refuses a local file that is no longer the one recorded at start. The size is checked on every read; the
 * content is hashed again only when the size or mtime moved since this process last checked it, so a copy
 * of the file on another host (another mtime, same bytes) is accepted once and then costs one stat per page.
 * Appends count as a change too: the added clients were never validated, counted or checked for duplicates.
 */
export async function assertFileUnchanged(source: SourceRef): Promise<void> {
  const recorded = source.version;
  if (!recorded?.sha256 || isUrl(source.path)) return;
  const now = await stat(source.path).catch(() => undefined);
  if (!now) return; // a missing file fails the read itself, naming it
  const changed = (how: string) =>
    new SourceChangedError(
      `${source.path} changed since the batch started (${how}); its clients are not read from a different file`,
    );
  if (now.size !== recorded.size) throw changed(`its size is ${now.size} bytes, was ${recorded.size}`);
  const seen = `${recorded.sha256}:${now.size}:${now.mtimeMs}`;
  if (verified.get(source.path) === seen) return;
  const sha256 = await sha256Of(source.path);
  if (sha256 !== recorded.sha256)
    throw changed(`same size, other content: SHA-256 ${sha256.slice(0, 12)}…, was ${recorded.sha256.slice(0, 12)}…`);
  verified.set(source.path, seen);
}

/** A local file's size, mtime and inode now, which any write moves: undefined for a URL or an unrecorded file. */
export async function fileStamp(source: SourceRef): Promise<string | undefined> {
  if (!source.version?.sha256 || isUrl(source.path)) return undefined;
  const s = await stat(source.path).catch(() => undefined);
  return s && `${s.size}:${s.mtimeMs}:${s.ino}`;
}

/**
 * The bytes of `source` from `start` on. A source that is no longer the file or object recorded at start is refused.
 */
export async function openBytes(
  source: SourceRef,
  start: number,
  highWaterMark = 256 * 1024,
): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  if (!isUrl(source.path)) {
    await assertFileUnchanged(source);
    return createReadStream(source.path, { start, highWaterMark });
  }
  const recorded = source.version ?? (await probeUrl(source.path));
  if (start >= recorded.size) {
    const head = await get(source.path, { range: 'bytes=0-0' });
    await head.body?.cancel();
    assertSame(source.path, recorded, versionOf(head));
    return Readable.from([]);
  }
  const res = await get(source.path, { range: `bytes=${start}-` });
  if (res.status !== 206) {
    await res.body?.cancel();
    if (res.status >= 500 || res.status === 429)
      throw new Error(`${sourceName(source.path)} answered ${res.status}; retrying`);
    throw new SourceError(`${sourceName(source.path)} answered ${res.status} to a Range request from byte ${start}`);
  }
  try {
    assertSame(source.path, recorded, versionOf(res));
  } catch (err) {
    await res.body?.cancel();
    throw err;
  }
  return Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>);
}

function assertSame(url: string, recorded: SourceVersion, now: SourceVersion): void {
  const change = changeOf(recorded, now);
  if (change)
    throw new SourceChangedError(
      `${sourceName(url)} changed since the batch started (${change}); its clients are not read from a different file`,
    );
}
