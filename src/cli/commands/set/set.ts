import { WorkflowUpdateFailedError } from '@temporalio/client';
import { UserError } from '../../../contract/errors';
import { setLimitsUpdate } from '../../../contract/messages';
import { OPTION_TABLE } from '../../../contract/option-table';
import type { LimitsChange } from '../../../contract/options';
import { getRunningBatch, withClient } from '../../../connection/batch-view';
import type { CliIO } from '../../io';

/** `clientsync set`: changes a running batch's limits through the `setLimits` Update; the change is recorded in its history. */
export async function set(batchId: string, change: LimitsChange, io: CliIO): Promise<string> {
  if (Object.values(change).every((v) => v === undefined)) {
    const flags = OPTION_TABLE.filter((row) => row.settable).map((row) => `--${row.flag}`);
    throw new UserError(`nothing to set: pass ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`);
  }
  return withClient(async (client) => {
    const { handle } = await getRunningBatch(client, batchId, 'set');
    try {
      const { message } = await handle.executeUpdate(setLimitsUpdate, { args: [change] });
      io.out(message);
      return message;
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const reason = err.cause?.message ?? err.message;
      if (reason.startsWith('No registered handler for update'))
        throw new UserError(`batch ${batchId} was started by a clientsync without \`set\`; its limits cannot change`);
      throw new UserError(`batch ${batchId} refused the change: ${reason}`);
    }
  });
}
