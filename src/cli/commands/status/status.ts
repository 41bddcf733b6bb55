import type { Client } from '@temporalio/client';
import type { BatchProgress } from '../../../contract/progress';
import { getBatch, isFinal, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';
import { limitsLine } from '../../../contract/limits';
import { paceLine } from '../../../domain/pace/pace-view';
import { progressLine, rateBetween } from '../../progress-line';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StatusOptions {
  json?: boolean;
  watch?: boolean;
  intervalMs?: number;
}

export interface WatchOptions extends StatusOptions {
  /** Off a terminal, a progress line at most this often (and at every change of state); default: every poll. */
  plainLineEveryMs?: number;
  /** Called with each progress sample, before the next poll (the demo refreshes the token here). */
  onProgress?: (p: BatchProgress) => Promise<void>;
}

/** `clientsync status`: one batch's progress, as a bar or JSON; --watch redraws until the batch ends. */
export async function status(batchId: string, opts: StatusOptions, io: CliIO): Promise<BatchProgress> {
  return withClient(async (client) => {
    if (opts.watch) return watchBatch(client, batchId, io, opts);
    const { progress } = await getBatch(client, batchId);
    // One look has no rate of its own: a paced batch says what it has been making.
    io.out(opts.json ? JSON.stringify(progress) : progressLine(progress, progress.pace?.callsPerSecond ?? 0));
    if (!opts.json && progress.limits && !isFinal(progress)) io.out(`limits: ${limitsLine(progress.limits)}`);
    if (!opts.json && progress.pace && !isFinal(progress)) io.out(`pace: ${paceLine(progress.pace, progress.failed)}`);
    return progress;
  });
}

/**
 * Redraws the progress line (or prints JSON lines) until the batch reaches a final state. Off a terminal
 * the lines are a log: one per state change and at most one per `plainLineEveryMs` between.
 */
export async function watchBatch(
  client: Client,
  batchId: string,
  io: CliIO,
  opts: WatchOptions = {},
): Promise<BatchProgress> {
  let prev: { at: number; processed: number } | undefined;
  let speed = 0;
  let printed: { at: number; state: string } | undefined;
  let first: { at: number; processed: number } | undefined;
  const outage = outageNotices(io);
  for (;;) {
    const progress = await outage.through(() => getBatch(client, batchId), opts.intervalMs ?? 1000);
    const now = { at: Date.now(), processed: progress.processed };
    first ??= now;
    // Smoothed over about the last 3 s, whatever the poll interval.
    if (prev)
      speed =
        speed === 0
          ? rateBetween(prev, now)
          : speed + (rateBetween(prev, now) - speed) * Math.min(1, (now.at - prev.at) / 3000);
    prev = now;
    // The last line says the average over the whole watch, not the last few seconds' tail.
    if (isFinal(progress) && now.at - first.at >= 1000) speed = rateBetween(first, now);
    const due =
      io.isTTY ||
      !printed ||
      printed.state !== progress.state ||
      now.at - printed.at >= (opts.plainLineEveryMs ?? 0) ||
      isFinal(progress);
    if (due) {
      if (opts.json) io.out(JSON.stringify(progress));
      else io.redraw(progressLine(progress, speed));
      printed = { at: now.at, state: progress.state };
    }
    if (isFinal(progress)) {
      if (!opts.json && io.isTTY) io.out('');
      return progress;
    }
    await opts.onProgress?.(progress);
    await sleep(opts.intervalMs ?? 1000);
  }
}

/**
 * Why a read got no answer, in a person's words, or undefined for any other error: gRPC's UNAVAILABLE (the
 * server is down or unreachable) or DEADLINE_EXCEEDED (no answer in time, as when no worker answers a
 * query), anywhere in the error's causes.
 */
function noAnswer(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 14) return 'Temporal does not answer';
    if (e.code === 4) return 'no answer in time (is a worker running for this batch?)';
  }
  return undefined;
}

/**
 * A watch outlives an outage of Temporal: while no answer comes, it says so once and keeps asking; the
 * connection retries every 2 s at most (temporal-connection.ts), so it sees the server's return.
 */
function outageNotices(io: CliIO) {
  let since: number | undefined;
  return {
    async through(read: () => Promise<{ progress: BatchProgress }>, intervalMs: number): Promise<BatchProgress> {
      for (;;) {
        try {
          const { progress } = await read();
          if (since !== undefined) io.out(`Temporal answers again after ${Math.round((Date.now() - since) / 1000)} s.`);
          since = undefined;
          return progress;
        } catch (err) {
          const why = noAnswer(err);
          if (!why) throw err;
          if (since === undefined) {
            if (io.isTTY) io.out('');
            io.out(`${why}; still watching until an answer comes (Ctrl-C stops).`);
          }
          since ??= Date.now();
          await sleep(intervalMs);
        }
      }
    },
  };
}
