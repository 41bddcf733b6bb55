import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { UserError } from '../../../contract/errors';
import { openCliStore } from '../../cli-store';
import type { CliIO } from '../../io';
import { batchUnderId } from '../../batch-under-id';

export interface ResultsOptions {
  out?: string;
  format: 'json' | 'jsonl';
  /** The first run id (or a prefix) of an older batch under the same id; default: the newest. */
  run?: string;
}

/**
 * `clientsync results`: exports the successful responses, streaming. `json` is the original script's results file,
 * `[{"client": {...}, "data": {...}}]`; `jsonl` is one such object per line.
 */
export async function results(batchId: string, opts: ResultsOptions, io: CliIO): Promise<number> {
  if (opts.format !== 'json' && opts.format !== 'jsonl')
    throw new UserError(`--format must be json or jsonl, not ${opts.format}`);
  const store = await openCliStore();
  let file: WriteStream | undefined;
  const write = async (s: string) => {
    if (!file) return void process.stdout.write(s);
    if (!file.write(s)) await once(file, 'drain');
  };
  let n = 0;
  try {
    const key = await batchUnderId(store, batchId, opts.run, io);
    file = opts.out ? createWriteStream(opts.out) : undefined;
    if (opts.format === 'json') await write('[');
    for await (const row of store.iterate(key, 'succeeded')) {
      const item = JSON.stringify({ client: row.record, data: parseOrText(row.data) });
      await write(opts.format === 'json' ? `${n ? ',' : ''}\n  ${item}` : `${item}\n`);
      n++;
    }
    if (opts.format === 'json') await write(n ? '\n]\n' : ']\n');
  } finally {
    await store.close();
    if (file) {
      file.end();
      await once(file, 'finish');
    }
  }
  if (opts.out) io.out(`Wrote ${n} results of ${batchId} to ${opts.out}`);
  return n;
}

function parseOrText(data: string | null): unknown {
  if (data === null) return null;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
