import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface ClientFileOptions {
  /** Clients per outer object's ClientList (the original script groups clients). */
  groupSize?: number;
  /** Id of the n-th client (0-based). */
  idOf?: (n: number) => string;
  /** Length of a filler "Notes" field on every client, to make large files from fewer clients. */
  notesLength?: number;
}

export const defaultClientId = (n: number) => `C-${String(n + 1).padStart(6, '0')}`;

/** Writes a seed-format client_file.json of `count` clients, streaming, so a million costs no memory. */
export async function writeSeedClientFile(path: string, count: number, opts: ClientFileOptions = {}): Promise<void> {
  const groupSize = opts.groupSize ?? 500;
  const idOf = opts.idOf ?? defaultClientId;
  const notes = opts.notesLength ? { Notes: 'n'.repeat(opts.notesLength) } : {};
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('[\n');
  for (let g = 0; g * groupSize < count || (count === 0 && g === 0); g++) {
    await write(`${g ? ',\n' : ''}  {"Region": "R${g}", "ClientList": [`);
    for (let n = g * groupSize; n < Math.min(count, (g + 1) * groupSize); n++) {
      const id = idOf(n);
      await write(
        `${n > g * groupSize ? ',' : ''}\n    ${JSON.stringify({ ClientId: id, ClientName: `Client ${n + 1}`, ...notes })}`,
      );
    }
    await write(']}');
  }
  await write('\n]\n');
  out.end();
  await once(out, 'finish');
}

/** The ids writeSeedClientFile wrote, in order. */
export function clientIds(count: number, idOf: (n: number) => string = defaultClientId): string[] {
  return Array.from({ length: count }, (_, n) => idOf(n));
}
