// Telling an outage from a few clients' own troubles, and how an outage is probed. Pure.

/** How a worker judges, from the batch's recent answers, that the API seems down. */
export const OUTAGE = {
  /** The answers looked at: the latest ones, within a time window. */
  answers: 10,
  windowMs: 30_000,
  /** Most of them failed (timeouts, connection errors, 5xx)… */
  failedShare: 0.8,
  /**
   * …including first attempts of this many clients: clients already being retried may be failing for their own reasons.
   */
  firstAttemptClients: 3,
} as const;

interface Answer {
  at: number;
  failed: boolean;
  clientId: string;
  firstAttempt: boolean;
}

/** One batch's recent answers on one worker. */
export class OutageWindow {
  private answers: Answer[] = [];

  add(answer: Answer): void {
    this.answers.push(answer);
    if (this.answers.length > OUTAGE.answers) this.answers.shift();
  }

  /**
   * Whether the API seems down at `now`: the last answer failed, most of the recent ones did, from several clients'
   * first attempts.
   */
  suspects(now: number): boolean {
    const recent = this.answers.filter((a) => a.at >= now - OUTAGE.windowMs);
    const last = recent.at(-1);
    if (!last?.failed || recent.length < 4) return false;
    const failed = recent.filter((a) => a.failed);
    if (failed.length < recent.length * OUTAGE.failedShare) return false;
    return new Set(failed.filter((a) => a.firstAttempt).map((a) => a.clientId)).size >= OUTAGE.firstAttemptClients;
  }

  /** When the current run of failures began (ms since epoch); undefined after a success. */
  failingSince(): number | undefined {
    let since: number | undefined;
    for (let i = this.answers.length - 1; i >= 0 && this.answers[i]!.failed; i--) since = this.answers[i]!.at;
    return since;
  }
}

/**
 * The time between probes of an API that does not answer: a second, and a second more for each minute the
 * outage has lasted, up to 30 s. A short outage (a restart, a deploy) ends within seconds of the API's
 * return; a long one costs the API two requests a minute.
 */
export function probeIntervalMs(outageMs: number): number {
  return Math.min(30_000, 1000 + Math.max(0, outageMs) / 60);
}

/** How long a probe waits for its answer: the call timeout, but not much longer than the API's usual answers take. */
export function probeTimeoutMs(callTimeoutMs: number, latencyMs = 0): number {
  return Math.min(callTimeoutMs, Math.max(5000, 3 * latencyMs));
}
