import { pauseSignal, resumeSignal } from '../../../contract/messages';
import { getRunningBatch, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';

/** `clientsync pause`: no new calls start; in-flight calls finish. */
export async function pause(batchId: string, io: CliIO): Promise<void> {
  await withClient(async (client) => {
    await (await getRunningBatch(client, batchId, 'pause')).handle.signal(pauseSignal);
    io.out(`Paused ${batchId}: in-flight calls finish, no new ones start. \`clientsync resume ${batchId}\` continues.`);
  });
}

/** `clientsync resume`: continues a paused batch. */
export async function resume(batchId: string, io: CliIO): Promise<void> {
  await withClient(async (client) => {
    await (await getRunningBatch(client, batchId, 'resume')).handle.signal(resumeSignal);
    io.out(`Resumed ${batchId}.`);
  });
}
