import type { Client } from '@temporalio/client';
import type { BatchProgress } from '../contract/progress';
import { listBatches, type ListedBatch } from '../connection/batch-list';
import { getBatch } from '../connection/batch-view';
import { batchKey, type FailureGroup, type ResultsStore, type SentAlert } from '../store/results-store';

// What the console's pages show, read from Temporal's visibility and the results store. The list asks no
// worker anything; a batch's page asks its `progress` query (as `status` does), at most every few seconds
// however many people watch it. The console starts no activity and writes nothing into any history.

/** A listed batch, with what its pace has been over the last minute. */
export interface BatchRow extends ListedBatch {
  callsPerSecond: number | null;
  /** Seconds left at that pace; null when unknown. */
  etaSeconds: number | null;
}

export interface BatchDetails {
  progress: BatchProgress;
  running: boolean;
  callsPerSecond: number | null;
  etaSeconds: number | null;
  failures: FailureGroup[];
  alerts: SentAlert[];
}

/** How long one progress answer serves every viewer of a batch. */
const PROGRESS_TTL_MS = 3000;
/** The window over which calls per second are measured. */
const RATE_WINDOW_MS = 60_000;
/** Failure groups, and ClientIds in each, on a batch's page. */
const GROUPS = 20;
const SAMPLES = 3;

export class BatchReads {
  private readonly samples = new Map<string, { at: number; processed: number }[]>();
  private readonly progress = new Map<
    string,
    { at: number; view: Promise<{ progress: BatchProgress; running: boolean }> }
  >();

  constructor(
    private readonly client: Client,
    private readonly store: ResultsStore,
  ) {}

  async list(limit = 100): Promise<BatchRow[]> {
    const rows = await listBatches(this.client, limit);
    return rows.map((r) => {
      const callsPerSecond = r.status === 'RUNNING' ? this.sample(r.batchId, r.processed ?? 0) : null;
      return { ...r, callsPerSecond, etaSeconds: etaOf(r.total, r.processed ?? 0, callsPerSecond) };
    });
  }

  async batch(batchId: string): Promise<BatchDetails> {
    const { progress, running } = await this.view(batchId);
    const key = batchKey(batchId, progress.batchRun);
    const measured = running ? this.sample(batchId, progress.processed) : null;
    const callsPerSecond = progress.state === 'running' ? (measured ?? progress.pace?.callsPerSecond ?? null) : null;
    const [failures, alerts] = await Promise.all([
      progress.failed > 0 ? this.store.failureGroups(key, SAMPLES) : Promise.resolve([]),
      this.store.alerts(batchId, progress.startedAt, 20),
    ]);
    return {
      progress,
      running,
      callsPerSecond,
      etaSeconds: progress.state === 'running' ? etaOf(progress.total, progress.processed, callsPerSecond) : null,
      failures: failures.slice(0, GROUPS),
      alerts,
    };
  }

  /** Clients settled over time, cumulative from the batch's start, for the chart: [unix seconds[], settled[]]. */
  async chart(batchId: string): Promise<[number[], number[]]> {
    const { progress } = await this.view(batchId);
    const points = await this.store.timeline(batchKey(batchId, progress.batchRun));
    const times = [Date.parse(progress.startedAt) / 1000];
    const settled = [0];
    for (const p of points) {
      times.push(Date.parse(`${p.bucket}0Z`) / 1000 + 10);
      settled.push(settled.at(-1)! + p.settled);
    }
    return [times, settled];
  }

  /** The failed clients, streamed, for the CSV download. */
  async failedRows(batchId: string) {
    const { progress } = await this.view(batchId);
    return this.store.iterate(batchKey(batchId, progress.batchRun), 'failed');
  }

  /** Drops a batch's cached progress, so the page after an action shows its effect. */
  forget(batchId: string): void {
    this.progress.delete(batchId);
  }

  private view(batchId: string): Promise<{ progress: BatchProgress; running: boolean }> {
    const cached = this.progress.get(batchId);
    if (cached && Date.now() - cached.at < PROGRESS_TTL_MS) return cached.view;
    const view = getBatch(this.client, batchId).then(({ progress, running }) => ({ progress, running }));
    this.progress.set(batchId, { at: Date.now(), view });
    view.catch(() => this.progress.delete(batchId));
    return view;
  }

  /** Records `processed` now; calls per second over about the last minute, or null until 10 s have been seen. */
  private sample(batchId: string, processed: number): number | null {
    const now = Date.now();
    const seen = (this.samples.get(batchId) ?? []).filter((s) => now - s.at <= RATE_WINDOW_MS);
    if (!seen.length || now - seen[seen.length - 1]!.at >= 1000) seen.push({ at: now, processed });
    this.samples.set(batchId, seen);
    const first = seen[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds >= 10 ? Math.max(0, (processed - first.processed) / seconds) : null;
  }
}

function etaOf(total: number | null, processed: number, callsPerSecond: number | null): number | null {
  if (total === null || !callsPerSecond || callsPerSecond <= 0) return null;
  return Math.max(0, (total - processed) / callsPerSecond);
}
