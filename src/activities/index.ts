import { batchKey, type ResultsStore } from '../store/results-store';
import { loadSealKey } from '../token/seal';
import { makeCallClient } from './call-client';
import { makeCallClients } from './call-clients';
import { expectedFailure } from './expected-failures';
import { makeSourceActivities } from './source-activities';
import { checkStore } from './store-check';
import { Pacer } from './pacer';
import { PaceGate } from './pace-gate';
import { CallGate } from './call-gate';
import { makeNotify } from './notify';
import { makeRefreshToken } from './refresh-token';
import { TokenResolver } from './token-resolver';
import { tokenProviderFromEnv, type TokenProvider } from '../token/token-provider';
import { countProcessed, labelsOf } from '../telemetry/call-metrics';

export type { CallClientInput, CallClientOutput, TransientDetails } from './call-client';
export type { CallClientsInput, CallClientsOutput, ChunkOutcome, ChunkRetry } from './call-clients';
export type { ReadClientsPageInput, InspectSourceInput } from './source-activities';
export type { RefreshTokenInput, RefreshTokenOutput } from './refresh-token';
export type { NotifyInput, NotifyOutput } from './notify';

export interface RecordFailureInput {
  batchId: string;
  /** The batch's first run id (see CallClientInput.batchRun). */
  batchRun?: string;
  /** See CallClientInput.store. */
  store?: string;
  clientId: string;
  reason: string;
  status: number | null;
  attempts: number;
  /** A success recorded earlier stands (a chunk that failed after some of its clients succeeded). */
  keepSuccess?: boolean;
}

export interface ActivityDeps {
  store: ResultsStore;
  /** The sealing key; default: loaded (not created) on first use. */
  sealKey?: () => Promise<Buffer>;
  /** The worker's own token, for a batch that carries none; default: its token provider's, else API_TOKEN. */
  ownToken?: () => Promise<string>;
  /** Where `refreshToken` gets new tokens; default: from the worker's environment (null: none). */
  tokenProvider?: TokenProvider | null;
}

/** The activities a worker registers, bound to its results store and token sources. */
export function createActivities(deps: ActivityDeps) {
  const sealKey = deps.sealKey ?? (() => loadSealKey());
  const tokens = new TokenResolver(sealKey, deps.ownToken);
  const provider = deps.tokenProvider === undefined ? tokenProviderFromEnv() : (deps.tokenProvider ?? undefined);
  const pacer = new Pacer(); // one per worker: it spaces each batch's calls on this worker
  const gate = new PaceGate(deps.store); // one per worker: each paced batch's holds and recent answers here
  const calls = new CallGate(); // one per worker: a wave of local calls runs a batch's concurrency at a time
  return {
    ...makeSourceActivities(deps.store),
    callClient: makeCallClient(deps.store, tokens, pacer, calls),
    callClients: makeCallClients(deps.store, tokens, pacer, gate, calls),
    refreshToken: makeRefreshToken(provider, sealKey),
    notify: makeNotify(deps.store, sealKey),
    /** Records a client whose retries ran out (the workflow knows when; the activity's last attempt may not). */
    recordFailure: expectedFailure(async function recordFailure(input: RecordFailureInput): Promise<boolean> {
      checkStore(deps.store, input.store);
      const failed = await deps.store.recordFailure(
        batchKey(input.batchId, input.batchRun),
        input.clientId,
        input.reason,
        input.status,
        input.attempts,
        input.keepSuccess,
      );
      if (failed) countProcessed(labelsOf(input.batchId), 'failed');
      return failed;
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
