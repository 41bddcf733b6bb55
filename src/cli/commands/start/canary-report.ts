import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchInput } from '../../../contract/batch-input';
import { CANARY_PAUSE, type BatchProgress } from '../../../contract/progress';
import { getBatch, isFinal } from '../../../connection/batch-view';
import { batchKey, type ClientOutcomeRow, type ResultsStore } from '../../../store/results-store';
import { withCliStore } from '../../cli-store';
import type { CliIO } from '../../io';
import { duration } from '../../progress-line';

// `start --canary N`: the batch calls its first N clients and pauses. start waits for that, then says what
// each of those calls got, from the results store (whose bodies never hold the credential: the workers take
// it out first), and how long the rest would take at that latency and the batch's ceilings.

/** The first bytes of an answer shown on a call's line. */
const SHOWN_CHARS = 72;

/** Waits for the canary to end (or the batch to stop for anything else), then reports it. */
export async function reportCanary(client: Client, input: BatchInput, firstRunId: string, io: CliIO): Promise<void> {
  const n = input.options?.canary ?? 0;
  io.out(`Canary: calling the first ${n} clients, then pausing the batch (Ctrl-C stops watching, not the batch).`);
  const progress = await settled(client, input.batchId);
  const calls = await withCliStore((store) => firstCalls(store, batchKey(input.batchId, firstRunId), n));
  for (const row of calls) io.out(callLine(row));
  const canaryOver = progress.state === 'paused' && progress.pausedBecause?.startsWith(CANARY_PAUSE);
  if (!canaryOver) {
    io.out(stoppedEarly(progress));
    return;
  }
  const eta = restTime(progress, calls);
  if (eta) io.out(eta);
  io.out(`Call the rest: clientsync resume ${input.batchId}   (or stop here: clientsync cancel ${input.batchId})`);
}

/**
 * The batch's progress once it stops for a person: paused (after the canary, or for another reason), waiting for
 * a token that only a person can give, or ended. A token the workers refresh by themselves is waited through.
 */
async function settled(client: Client, batchId: string): Promise<BatchProgress> {
  for (;;) {
    const { progress } = await getBatch(client, batchId);
    const waitsForPerson = progress.state === 'waiting-for-token' && Boolean(progress.waitingForPersonSince);
    if (isFinal(progress) || progress.state === 'paused' || waitsForPerson) return progress;
    await sleep(250);
  }
}

/** Why the canary's report ends before the canary did, and what to do. */
function stoppedEarly(p: BatchProgress): string {
  if (p.state === 'waiting-for-token')
    return `The batch waits for a new token${p.lastTokenError ? ` (${p.lastTokenError})` : ''}: run \`clientsync refresh-token ${p.batchId}\`; the canary then goes on, and the batch pauses after it.`;
  if (p.state === 'paused') return `The batch paused before its canary ended: ${p.pausedBecause ?? 'by a person'}.`;
  if (p.state === 'completed') return 'The batch completed: its canary held every client.';
  return `The batch ${p.state} before its canary ended${p.failure ? `: ${p.failure}` : ''}.`;
}

/** The recorded outcomes of the first `n` clients, in source order. */
async function firstCalls(store: ResultsStore, key: ReturnType<typeof batchKey>, n: number) {
  const rows = [...(await store.list(key, 'succeeded', n)), ...(await store.list(key, 'failed', n))];
  return rows.sort((a, b) => a.position - b.position).slice(0, n);
}

/** `  C-000001  200  48 ms  {"id":"C-000001",…}`: what one call got. */
export function callLine(row: ClientOutcomeRow): string {
  const status = row.lastStatus === null ? (row.reason ?? 'no answer') : String(row.lastStatus);
  const latency = row.latencyMs === null ? '—' : `${row.latencyMs} ms`;
  const text = (row.data ?? row.reason ?? '').replace(/\s+/g, ' ').trim();
  const shown = text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
  return `  ${row.clientId}  ${status}  ${latency}${shown ? `  ${shown}` : ''}`;
}

/** How long the rest would take at the canary's mean latency, under the batch's ceilings. */
export function restTime(progress: BatchProgress, calls: readonly ClientOutcomeRow[]): string | undefined {
  const latencies = calls.flatMap((c) => (c.latencyMs === null ? [] : [c.latencyMs]));
  const left = (progress.total ?? 0) - progress.processed;
  if (latencies.length === 0 || left <= 0 || !progress.limits) return undefined;
  const latency = Math.max(1, latencies.reduce((a, b) => a + b, 0) / latencies.length);
  const { concurrency, rps } = progress.limits;
  const byLatency = (concurrency * 1000) / latency;
  const rate = rps > 0 ? Math.min(rps, byLatency) : byLatency;
  const limit = rps > 0 && rps < byLatency ? `--rps ${rps}` : `${concurrency} calls in flight`;
  return `The other ${left} clients: about ${duration(left / rate)} at ${Math.round(latency)} ms a call and ${limit}, if the API keeps that pace.`;
}
