import { withClient } from '../../../connection/batch-view';
import { pauseBatch, resumeBatch } from '../../../operations/batch-actions';
import type { CliIO } from '../../io';

/** `clientsync pause`: no new calls start; in-flight calls finish. */
export async function pause(batchId: string, io: CliIO): Promise<void> {
  const message = await withClient((client) => pauseBatch(client, batchId));
  io.out(`${message} \`clientsync resume ${batchId}\` continues.`);
}

/** `clientsync resume`: continues a paused batch. */
export async function resume(batchId: string, io: CliIO): Promise<void> {
  io.out(await withClient((client) => resumeBatch(client, batchId)));
}
