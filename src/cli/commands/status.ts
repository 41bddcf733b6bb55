import type { Client } from '@temporalio/client';
import type { BatchProgress } from '../../shared';
import { getBatch, isFinal, withClient } from '../batches';
import type { CliIO } from '../io';
import { progressLine, rateBetween } from '../progress-line';

export interface StatusOptions {
  json?: boolean;
  watch?: boolean;
  intervalMs?: number;
}

/** `clientsync status`: one batch's progress, as a bar or JSON; --watch redraws until the batch ends. */
export async function status(batchId: string, opts: StatusOptions, io: CliIO): Promise<BatchProgress> {
  return withClient(async (client) => {
    if (opts.watch) return watchBatch(client, batchId, io, opts);
    const { progress } = await getBatch(client, batchId);
    io.out(opts.json ? JSON.stringify(progress) : progressLine(progress, 0));
    return progress;
  });
}

/** Redraws the progress line (or prints JSON lines) until the batch reaches a final state. */
export async function watchBatch(client: Client, batchId: string, io: CliIO, opts: StatusOptions = {}): Promise<BatchProgress> {
  let prev: { at: number; processed: number } | undefined;
  let speed = 0;
  for (;;) {
    const { progress } = await getBatch(client, batchId);
    const now = { at: Date.now(), processed: progress.processed };
    if (prev) speed = 0.7 * speed + 0.3 * rateBetween(prev, now);
    prev = now;
    if (opts.json) io.out(JSON.stringify(progress));
    else io.redraw(progressLine(progress, speed));
    if (isFinal(progress)) {
      if (!opts.json && io.isTTY) io.out('');
      return progress;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
}
