import { UserError } from '../../../contract/errors';
import { OPTION_TABLE } from '../../../contract/option-table';
import type { LimitsChange } from '../../../contract/options';
import { withClient } from '../../../connection/batch-view';
import { setBatchLimits } from '../../../operations/batch-actions';
import type { CliIO } from '../../io';

/** `clientsync set`: changes a running batch's limits through the `setLimits` Update; the change is recorded in its history. */
export async function set(batchId: string, change: LimitsChange, io: CliIO): Promise<string> {
  if (Object.values(change).every((v) => v === undefined)) {
    const flags = OPTION_TABLE.filter((row) => row.settable).map((row) => `--${row.flag}`);
    throw new UserError(`nothing to set: pass ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`);
  }
  const message = await withClient((client) => setBatchLimits(client, batchId, change));
  io.out(message);
  return message;
}
