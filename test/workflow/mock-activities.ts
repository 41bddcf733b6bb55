import { ApplicationFailure } from '@temporalio/activity';
import type {
  CallClientInput,
  CallClientOutput,
  CallClientsInput,
  CallClientsOutput,
  InspectSourceInput,
  ReadClientsPageInput,
  NotifyInput,
  NotifyOutput,
  RefreshTokenInput,
  RefreshTokenOutput,
} from '../../src/activities';
import type { Alert } from '../../src/contract/alert';
import type { ChunkRetry } from '../../src/activities';
import type { ClientOutcome } from '../../src/contract/batch-input';
import type { PaceReport } from '../../src/contract/pace';
import type { Activities } from '../../src/activities';
import type { ClientEntry, ClientPage, SourceReport } from '../../src/domain/sources';
import { FailureTypes } from '../../src/contract/failures';
import { setTimeout as sleep } from 'node:timers/promises';

/** A paced batch's API, by call number (1-based, across the batch). */
export interface MockApi {
  /** These calls are answered 429; with `retryAfterMs`, the answer holds the batch that long. */
  throttle?: { calls: number[]; retryAfterMs?: number };
  /** From call `fromCall` on, for `forMs`, nothing answers (each call fails at once as a connection error would). */
  outage?: { fromCall: number; forMs: number };
  /** Clients whose first N calls answer 503. */
  flaky?: Record<string, number>;
}

export interface MockScript {
  /** The API a paced batch's chunks meet. */
  api?: MockApi;
  /** A token generation expires after this many successful calls (0: never). */
  expireAfter?: number;
  /** Each call takes this long. */
  callMs?: number;
  /** Every Nth client (1-based) fails, as a 404 would. */
  failEvery?: number;
  /** Calls refused as by a worker on another results store, before any other answer. */
  storeMismatches?: number;
  /** The workers' token provider (absent: none). */
  provider?: {
    /** Each token it gives lives this long (absent: it does not say). */
    lifetimeMs?: number;
    /** From this refresh on (1-based) it refuses, as after a revoked secret. */
    refusesFrom?: number;
    /** From this refresh on its tokens are dead on arrival: the first call meets an expiry. */
    deadFrom?: number;
    /** From this refresh on it answers after `slowMs`. */
    slowFrom?: number;
    slowMs?: number;
  };
}

/**
 * The batch workflow's activities as plain functions over an in-memory list, as Temporal's samples mock
 * them: no API, no store, no file. They record what was called, in order, and answer as the real ones do
 * (TokenExpired, duplicates, StoreMismatch), so the workflow's bookkeeping can be checked in seconds.
 */
export function mockActivities(entries: ClientEntry[], script: MockScript = {}) {
  const called: string[] = [];
  /** Every call's id as it started, expired ones too. */
  const started: string[] = [];
  const settled = new Set<string>();
  const successesByGeneration = new Map<number, number>();
  let refusals = script.storeMismatches ?? 0;
  const refreshes: RefreshTokenInput[] = [];
  const alerts: Alert[] = [];
  /** When each paced call went out (ms since epoch), probes included. */
  const callTimes: number[] = [];
  const probes: number[] = [];
  const paced = pacedApi(script.api ?? {}, call, callTimes, probes);
  /** Generations whose tokens are dead on arrival, by the sealed token the mock gave. */
  const deadTokens = new Set<string>();

  async function call(
    client: ClientEntry,
    generation: number,
    sealedToken?: string,
  ): Promise<ClientOutcome | 'expired'> {
    started.push(client.id);
    if (script.callMs) await sleep(script.callMs);
    if (settled.has(client.id)) return 'duplicate';
    if (sealedToken && deadTokens.has(sealedToken)) return 'expired';
    const used = successesByGeneration.get(generation) ?? 0;
    if (script.expireAfter && used >= script.expireAfter) return 'expired';
    successesByGeneration.set(generation, used + 1);
    settled.add(client.id);
    called.push(client.id);
    return script.failEvery && (client.position + 1) % script.failEvery === 0 ? 'failed' : 'succeeded';
  }

  const refuseStore = () => {
    if (refusals <= 0) return;
    refusals--;
    throw ApplicationFailure.create({
      type: FailureTypes.StoreMismatch,
      message: 'worker on mock writes results to SQLite /elsewhere.db on mock (store 00000000)',
      nonRetryable: true,
    });
  };
  const expired = () =>
    ApplicationFailure.create({
      type: FailureTypes.TokenExpired,
      message: 'Session already expired.',
      nonRetryable: true,
    });

  const activities: Activities = {
    async inspectSource(_input: InspectSourceInput): Promise<SourceReport> {
      return { total: entries.length, duplicates: [], duplicateEntries: 0, firstClientId: entries[0]?.id ?? '' };
    },
    async readClientsPage(input: ReadClientsPageInput): Promise<ClientPage> {
      const from = input.cursor?.position ?? 0;
      const clients = entries.slice(from, from + input.pageSize);
      const next = from + clients.length;
      return next < entries.length ? { clients, nextCursor: { offset: next, position: next } } : { clients };
    },
    async callClient(input: CallClientInput): Promise<CallClientOutput> {
      refuseStore();
      const outcome = await call(input.client, input.tokenGeneration, input.sealedToken);
      if (outcome === 'expired') throw expired();
      return { outcome };
    },
    async callClients(input: CallClientsInput): Promise<CallClientsOutput> {
      refuseStore();
      if (input.pace) return paced(input);
      const outcomes: ClientOutcome[] = [];
      for (const [i, client] of input.clients.entries()) {
        const outcome = await call(client, input.tokenGeneration, input.sealedToken);
        if (outcome === 'expired') return { outcomes, pendingFrom: i, tokenProblem: 'Session already expired.' };
        outcomes.push(outcome);
      }
      return { outcomes, pendingFrom: null };
    },
    async recordFailure(): Promise<boolean> {
      return true;
    },
    async notify(input: NotifyInput): Promise<NotifyOutput> {
      alerts.push(input.alert);
      return { sentTo: 'http://alerts.mock' };
    },
    async refreshToken(input: RefreshTokenInput): Promise<RefreshTokenOutput> {
      const provider = script.provider;
      if (!provider)
        throw ApplicationFailure.create({
          type: FailureTypes.NoTokenProvider,
          message: 'the workers have no token provider',
          nonRetryable: true,
        });
      refreshes.push(input);
      const n = refreshes.length;
      if (provider.slowFrom && n >= provider.slowFrom) await sleep(provider.slowMs);
      if (provider.refusesFrom && n >= provider.refusesFrom) {
        throw ApplicationFailure.create({
          type: FailureTypes.TokenRefused,
          message: 'the authorization server refused: invalid_client',
          nonRetryable: true,
        });
      }
      const sealedToken = `sealed-${n}`;
      if (provider.deadFrom && n >= provider.deadFrom) deadTokens.add(sealedToken);
      return {
        sealedToken,
        expiresAt: provider.lifetimeMs ? Date.now() + provider.lifetimeMs : null,
        provider: 'mock provider',
      };
    },
  };
  return { activities, called, started, refreshes, alerts, callTimes, probes };
}

/**
 * A paced chunk against the scripted API: throttles with their holds, an outage that a probe waits out, flaky
 * clients handed back for a retry, and a report of what was seen, as the real callClients makes them.
 */
function pacedApi(
  api: MockApi,
  call: (client: ClientEntry, generation: number, sealedToken?: string) => Promise<ClientOutcome | 'expired'>,
  callTimes: number[],
  probes: number[],
) {
  let holdUntil = 0;
  const flaky = { ...api.flaky };
  let outageEnds: number | undefined;
  let failingClients = new Set<string>();
  const down = () => {
    if (api.outage && outageEnds === undefined && callTimes.length >= api.outage.fromCall)
      outageEnds = Date.now() + api.outage.forMs;
    return outageEnds !== undefined && Date.now() < outageEnds;
  };
  return async (input: CallClientsInput): Promise<CallClientsOutput> => {
    const report: PaceReport = {
      epoch: input.pace!.epoch,
      calls: 0,
      throttled: 0,
      overloaded: 0,
      unavailable: 0,
      latencySumMs: 0,
      latencyCount: 0,
      firstSentAt: 0,
      lastAnsweredAt: 0,
    };
    const outcomes: CallClientsOutput['outcomes'] = [];
    const retries: ChunkRetry[] = [];
    const out = (extra: Partial<CallClientsOutput> = {}): CallClientsOutput => ({
      outcomes,
      pendingFrom: null,
      retries,
      report,
      ...extra,
    });
    for (const [i, client] of input.clients.entries()) {
      if (!input.probe && Date.now() < holdUntil)
        return out({ stoppedAt: i, report: { ...report, holdUntil, holdReason: 'Retry-After' } });
      const attempts = input.attempts?.[i] ?? 0;
      for (;;) {
        const at = Date.now();
        callTimes.push(at);
        if (input.probe) probes.push(at);
        report.calls++;
        report.firstSentAt ||= at;
        report.lastAnsweredAt = at;
        if (!down()) break;
        report.unavailable++;
        if (input.probe) {
          await sleep(50);
          continue;
        }
        failingClients.add(client.id);
        if (failingClients.size >= 3) return out({ stoppedAt: i, report: { ...report, outage: true } });
        retries.push({ index: i, attempts, notBefore: at + 20, reason: 'RequestError:ECONNREFUSED', status: null });
        outcomes.push('retry');
        break;
      }
      if (outcomes.length > i) continue;
      failingClients = new Set();
      if (api.throttle?.calls.includes(callTimes.length)) {
        report.throttled++;
        if (api.throttle.retryAfterMs === undefined) return out({ stoppedAt: i });
        holdUntil = Date.now() + api.throttle.retryAfterMs;
        return out({ stoppedAt: i, report: { ...report, holdUntil, holdReason: 'Retry-After' } });
      }
      if ((flaky[client.id] ?? 0) > 0) {
        flaky[client.id]!--;
        report.overloaded++;
        if (attempts + 1 >= input.retry.maximumAttempts) outcomes.push('failed');
        else {
          retries.push({
            index: i,
            attempts: attempts + 1,
            notBefore: Date.now() + 20,
            reason: 'HTTP503:Service Unavailable',
            status: 503,
          });
          outcomes.push('retry');
        }
        continue;
      }
      const outcome = await call(client, input.tokenGeneration, input.sealedToken);
      report.latencySumMs += Date.now() - report.lastAnsweredAt;
      report.latencyCount++;
      report.lastAnsweredAt = Date.now();
      if (outcome === 'expired') return out({ pendingFrom: i, tokenProblem: 'Session already expired.' });
      outcomes.push(outcome);
    }
    return out();
  };
}

/** Entries C-000001 … in source order; `repeat` adds an entry whose id was seen before, at the end. */
export function entries(count: number, repeat = 0): ClientEntry[] {
  const list = Array.from({ length: count }, (_, i) => ({
    id: `C-${String(i + 1).padStart(6, '0')}`,
    position: i,
    record: {},
  }));
  for (let i = 0; i < repeat; i++) list.push({ ...list[i]!, position: list.length });
  return list;
}
