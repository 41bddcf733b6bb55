import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ClientEntry } from '../contract/sources';
import { probeIntervalMs } from '../domain/pace/outage';
import { answerKind, HOLD_REASONS, PaceTally } from '../domain/pace/pace-tally';
import type { RetryOptions } from '../contract/options';
import type { PaceReport } from '../contract/pace';
import { batchKey, settledByClaim, type BatchKey, type ClaimResult, type ResultsStore } from '../store/results-store';
import type { CallClientInput } from './call-client';
import { meteredCall } from '../telemetry/call-metrics';
import { expectedFailure, outcomeLine } from './expected-failures';
import type { HttpAnswer } from '../domain/request/http-call';
import { CallGate } from './call-gate';
import { OUTAGE_HOLD_REASON, PaceGate } from './pace-gate';
import { Pacer } from './pacer';
import type { ClientOutcome } from '../contract/batch-input';
import { recordAnswer } from './record-answer';
import { checkStore } from './store-check';
import type { TokenResolver } from './token-resolver';

/** A paced chunk hands a client whose call met a transient answer back to the workflow, to be called again later. */
export type ChunkOutcome = ClientOutcome | 'retry';

/** A client handed back: the attempts spent on it, and not before when to call it again (ms since epoch). */
export interface ChunkRetry {
  index: number;
  attempts: number;
  notBefore: number;
  reason: string;
  status: number | null;
}

export interface CallClientsInput extends Omit<CallClientInput, 'client' | 'notBefore'> {
  /** The chunk, in source order; called one after another. */
  clients: ClientEntry[];
  /** Per-client retries of transient answers: in the activity, or (paced) by the workflow. */
  retry: RetryOptions;
  /** Least time between this chunk's calls: the batch's rate split over its chunks in flight. */
  paceMs?: number;
  /**
   * A paced chunk reports what it saw of the API, hands clients with a transient answer back to the workflow,
   * and stops when the batch must hold (a Retry-After, a used-up quota, an outage). Absent: a chunk of a batch
   * started without the pace, which retries its clients itself.
   */
  pace?: { epoch: number; breaker: boolean };
  /** Attempts already spent on each client, in order (paced). */
  attempts?: number[];
  /**
   * Probes an API that has not answered since `since`: calls the one client until the API answers, at a growing
   * interval.
   */
  probe?: { since: number; timeoutMs: number };
}

export interface CallClientsOutput {
  /** Outcomes of clients[0 .. outcomes.length-1]. */
  outcomes: ChunkOutcome[];
  /** Index of the first client that met a token problem; it and all after it are pending. */
  pendingFrom: number | null;
  tokenProblem?: string;
  /** Paced: clients from this index on were not called, because the batch must hold or the API seems down. */
  stoppedAt?: number;
  /** Paced: the clients handed back (outcome 'retry'). */
  retries?: ChunkRetry[];
  /** Paced: what the chunk saw of the API. */
  report?: PaceReport;
}

/**
 * Least time between a chunk's heartbeats: each is encoded for the SDK, and at a fast API a chunk finishes about a
 * hundred clients a second.
 */
const HEARTBEAT_EVERY_MS = 1000;
/** How long a worker that finds the API down holds the batch's other calls, until the workflow's breaker takes over. */
const OUTAGE_HOLD_MS = 2000;

/** Exponential backoff as Temporal's retry policy computes it. */
export function backoffMs(retry: RetryOptions, attempt: number): number {
  return Math.min(retry.initialIntervalMs * retry.backoffCoefficient ** (attempt - 1), retry.maximumIntervalMs);
}

/** Where a chunk stopped early: a token problem, or (paced) a hold. */
type Stop = { pendingFrom: number; tokenProblem: string } | { stoppedAt: number };

/**
 * Calls a chunk of clients one after another in one activity, for throughput: a few history events per chunk
 * instead of per client. The chunk claims its clients in one transaction, and the claims of a retry after a
 * crash say exactly which clients already have an outcome (written right after each answer), so none of them
 * is called again. An expired token ends the chunk reporting exactly which clients are pending.
 */
export function makeCallClients(
  store: ResultsStore,
  tokens: TokenResolver,
  pacer = new Pacer(),
  gate = new PaceGate(store),
  calls = new CallGate(),
) {
  return expectedFailure(async function callClients(input: CallClientsInput): Promise<CallClientsOutput> {
    checkStore(store, input.store);
    const chunk = new Chunk(store, tokens, pacer, gate, input);
    // A wave of local calls: this worker makes `concurrency` of the batch's calls at a time (see CallGate).
    const leave =
      input.concurrency === undefined
        ? undefined
        : await calls.enter(`${chunk.key.firstRunId}/${chunk.key.id}`, input.concurrency);
    try {
      return await chunk.callAll(await store.claimAll(chunk.key, input.clients));
    } finally {
      leave?.();
    }
  });
}

class Chunk {
  readonly key: BatchKey;
  private readonly ctx = Context.current();
  private readonly outcomes: ChunkOutcome[] = [];
  private readonly retries: Array<ChunkRetry & { at: number }> = [];
  private readonly tally?: PaceTally;
  private lastCallAt = 0;
  private heartbeatAt = 0;

  constructor(
    private readonly store: ResultsStore,
    private readonly tokens: TokenResolver,
    private readonly pacer: Pacer,
    private readonly gate: PaceGate,
    private readonly input: CallClientsInput,
  ) {
    this.key = batchKey(input.batchId, input.batchRun);
    if (input.pace) this.tally = new PaceTally(input.pace.epoch);
  }

  async callAll(claims: ClaimResult[]): Promise<CallClientsOutput> {
    for (let i = 0; i < this.input.clients.length; i++) {
      const settled = settledByClaim(claims[i]!);
      if (settled) {
        this.outcomes.push(settled);
        continue;
      }
      let token: string;
      try {
        token = await this.tokens.resolve(this.input.sealedToken, this.input.tokenGeneration);
      } catch (err) {
        if (err instanceof ApplicationFailure) return this.output({ pendingFrom: i, tokenProblem: err.message });
        throw err;
      }
      const stop = this.tally ? await this.callPaced(i, token, this.tally) : await this.callInPlace(i, token);
      if (stop) return this.output(stop);
      this.beat();
    }
    return this.output();
  }

  private output(stop?: Stop): CallClientsOutput {
    const tokenStop = stop && 'pendingFrom' in stop ? stop : undefined;
    const out: CallClientsOutput = { outcomes: this.outcomes, pendingFrom: tokenStop?.pendingFrom ?? null };
    if (tokenStop) out.tokenProblem = tokenStop.tokenProblem;
    if (!this.tally) return out;
    if (stop && 'stoppedAt' in stop) out.stoppedAt = stop.stoppedAt;
    out.retries = this.retries.map(({ at: _, ...r }) => r);
    out.report = this.tally.report();
    return out;
  }

  /**
   * Waits for the call's turn in the batch's pace: this chunk's share of the rate, smoothed across the worker's chunks.
   */
  private async paceTurn(): Promise<void> {
    if (!this.input.paceMs) return;
    const wait = this.pacer.reserve(this.input.batchId, this.lastCallAt + this.input.paceMs, this.input.minGapMs ?? 0);
    if (wait > 0) await this.ctx.sleep(wait);
    this.lastCallAt = Date.now();
  }

  private call(i: number, token: string, timeoutMs = this.input.callTimeoutMs): Promise<HttpAnswer> {
    return meteredCall({ ...this.input, callTimeoutMs: timeoutMs, client: this.input.clients[i]!, token });
  }

  /** A batch started without the pace: the client's transient answers are retried here, with backoff. */
  private async callInPlace(i: number, token: string): Promise<Stop | undefined> {
    const client = this.input.clients[i]!;
    for (let attempt = 1; ; attempt++) {
      await this.paceTurn();
      const answer = await this.call(i, token);
      const { verdict } = answer;
      if (verdict.kind === 'token-expired') {
        this.ctx.log.info(outcomeLine.tokenExpired(client.id, verdict.reason));
        return { pendingFrom: i, tokenProblem: verdict.reason };
      }
      if (verdict.kind !== 'retry' || attempt >= this.input.retry.maximumAttempts) {
        this.outcomes.push(await recordAnswer(this.store, this.key, client, answer, attempt, this.ctx.log));
        return undefined;
      }
      this.ctx.log.info(outcomeLine.retrying(client.id, verdict.reason, attempt));
      await this.sleepHeartbeating(verdict.retryAfterMs ?? backoffMs(this.input.retry, attempt));
    }
  }

  /**
   * A paced batch: one call, its answer tallied for the pace. A throttle or a hold stops the chunk with the
   * client not called; a transient answer hands the client back to the workflow, or, when most of the batch's
   * calls fail, stops the chunk as an outage, with the attempts it spent in the outage given back.
   */
  private async callPaced(i: number, token: string, tally: PaceTally): Promise<Stop | undefined> {
    const client = this.input.clients[i]!;
    const spent = this.input.attempts?.[i] ?? 0;
    if (!this.input.probe) {
      const held = await this.gate.holdOf(this.key);
      if (held) {
        if (held.reason === OUTAGE_HOLD_REASON) tally.outage();
        else tally.hold(held.until, held.reason);
        return { stoppedAt: i };
      }
    }
    await this.paceTurn();
    const { answer, kind, at } = await this.answerOf(i, token, tally);
    const { verdict } = answer;
    const quotaHold = await this.holdForQuota(answer, at, tally);
    if (verdict.kind === 'token-expired') {
      this.ctx.log.info(outcomeLine.tokenExpired(client.id, verdict.reason));
      return { pendingFrom: i, tokenProblem: verdict.reason };
    }
    if (verdict.kind === 'retry') {
      if (kind === 'throttled') return this.holdForThrottle(i, verdict.retryAfterMs, at, tally);
      if (this.input.pace?.breaker && !this.input.probe && this.gate.suspectsOutage(this.key, at))
        return this.stopForOutage(i, at, tally);
      if (spent + 1 < this.input.retry.maximumAttempts) {
        this.ctx.log.info(outcomeLine.retrying(client.id, verdict.reason, spent + 1));
        const next = at + backoffMs(this.input.retry, spent + 1);
        this.retries.push({
          index: i,
          attempts: spent + 1,
          notBefore: next,
          reason: verdict.reason,
          status: answer.status,
          at,
        });
        this.outcomes.push('retry');
        return quotaHold ? { stoppedAt: i + 1 } : undefined;
      }
    }
    this.outcomes.push(await recordAnswer(this.store, this.key, client, answer, spent + 1, this.ctx.log));
    return quotaHold ? { stoppedAt: i + 1 } : undefined;
  }

  /**
   * The call's answer and how it bears on the pace; a probe calls again, at a growing interval, until the API answers.
   */
  private async answerOf(i: number, token: string, tally: PaceTally) {
    const client = this.input.clients[i]!;
    const probe = this.input.probe;
    for (;;) {
      tally.sent(Date.now());
      const answer = await this.call(i, token, probe?.timeoutMs);
      const retryAfterMs = answer.verdict.kind === 'retry' ? answer.verdict.retryAfterMs : undefined;
      const kind = answerKind(answer.status, answer.verdict.kind === 'retry', retryAfterMs);
      const at = Date.now();
      tally.answered(kind, at, answer.latencyMs, answer.rate);
      this.gate.note(
        this.key,
        at,
        kind === 'unavailable' || kind === 'overloaded',
        client.id,
        (this.input.attempts?.[i] ?? 0) === 0,
      );
      if (!probe || kind === 'answered' || kind === 'throttled') return { answer, kind, at };
      await this.sleepHeartbeating(probeIntervalMs(at - probe.since));
    }
  }

  /** A 429 (or a 503 with Retry-After): the client was not served; a Retry-After holds the whole batch. */
  private async holdForThrottle(
    i: number,
    retryAfterMs: number | undefined,
    at: number,
    tally: PaceTally,
  ): Promise<Stop> {
    if (retryAfterMs !== undefined) {
      await this.gate.hold(this.key, at + retryAfterMs, HOLD_REASONS.retryAfter);
      tally.hold(at + retryAfterMs, HOLD_REASONS.retryAfter);
    }
    return { stoppedAt: i };
  }

  /** The API's quota is used up: nothing more goes out until it resets. */
  private async holdForQuota(answer: HttpAnswer, at: number, tally: PaceTally): Promise<boolean> {
    const rate = answer.rate;
    if (rate?.remaining !== 0 || !rate.resetMs) return false;
    await this.gate.hold(this.key, at + rate.resetMs, HOLD_REASONS.quota);
    tally.hold(at + rate.resetMs, HOLD_REASONS.quota);
    return true;
  }

  /**
   * Most of the batch's calls fail: stop, hold the batch's other calls briefly, and give back the attempts spent in the
   * outage.
   */
  private async stopForOutage(i: number, at: number, tally: PaceTally): Promise<Stop> {
    const since = this.gate.failingSince(this.key) ?? at;
    for (const r of this.retries) {
      if (r.at < since) continue;
      r.attempts--;
      r.notBefore = at;
    }
    tally.outage();
    await this.gate.hold(this.key, at + OUTAGE_HOLD_MS, OUTAGE_HOLD_REASON);
    return { stoppedAt: i };
  }

  /**
   * Heartbeat details: how far the chunk got, for people (Temporal Web shows them); a retry reads the store's claims
   * instead.
   */
  private beat(): void {
    const now = Date.now();
    if (now - this.heartbeatAt < HEARTBEAT_EVERY_MS) return;
    this.heartbeatAt = now;
    this.ctx.heartbeat({ done: this.outcomes.length });
  }

  /** Sleeps in slices, heartbeating, so a long backoff never looks like a dead worker. */
  private async sleepHeartbeating(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 2000) {
      this.ctx.heartbeat({ done: this.outcomes.length });
      await this.ctx.sleep(Math.min(left, 2000));
    }
  }
}
