// The pace of a batch as it crosses the workflow boundary: what a chunk of calls reports about the API's
// answers, the state the workflow carries from run to run, and what `status` shows. Data only.

/** What one chunk of calls saw of the API: the pace law's input. */
export interface PaceReport {
  /** The pace epoch the chunk was started under: a cut answers only to signals from after the last one. */
  epoch: number;
  /** Requests sent. */
  calls: number;
  /** 429, or a 503 with Retry-After: the API asks for less. */
  throttled: number;
  /** 503 without Retry-After: the API is overloaded (also evidence of an outage). */
  overloaded: number;
  /** Timeouts, connection errors and other 5xx. */
  unavailable: number;
  /** Sum and count of the latencies of the calls that got an answer, in ms. */
  latencySumMs: number;
  latencyCount: number;
  /** When the first request went out and the last answer came back (ms since epoch). */
  firstSentAt: number;
  lastAnsweredAt: number;
  /** Retry-After, or a RateLimit quota used up: nothing goes out before this time (ms since epoch). */
  holdUntil?: number;
  holdReason?: string;
  /** Calls per second the API's RateLimit-Policy allows. */
  apiRate?: number;
  /** The API's latest RateLimit (or X-RateLimit-*) quota: what is left, and when it resets (ms since epoch). */
  quota?: { remaining: number; resetAt: number };
  /** The worker saw most of the batch's recent calls go unanswered: the API seems down. */
  outage?: boolean;
}

/** The pace law's state: the workflow's, carried across continue-as-new. Plain JSON. */
export interface PaceState {
  /** Bumped at each cut; reports of chunks started before it do not cut again. */
  epoch: number;
  /** Slow start doubles the concurrency each round; after the first cut it grows by one a round. */
  phase: 'slow-start' | 'avoidance';
  /** The concurrency the law allows (below --concurrency). */
  concurrency: number;
  /** Reports since the concurrency last grew: a round is one report per slot. */
  reportsThisRound: number;
  /**
   * The rate limit found by a throttle, as CUBIC holds it: the send rate when the API pushed back (`max`,
   * calls/s) and when (`cutAt`); the limit then grows back towards `max` and beyond. Absent: none found yet.
   */
  rate?: { max: number; cutAt: number };
  /**
   * Latency of recent answers (fast and slow moving averages, ms), the time a chunk spends per call (its
   * span over its calls: latency, pacing and the worker's own work), and how many reports made them.
   */
  latency?: { shortMs: number; longMs: number; perCallMs: number; reports: number };
  /**
   * Recent reports (end time, calls, span in ms, calls throttled), to measure the send rate and the share turned away.
   */
  recent: Array<[number, number, number, number]>;
  /** Why the pace backs off, since when, and its last cut; cleared once no cut has come for a while. */
  backoff?: { reason: string; since: number; last: number };
  /** Nothing is sent before this time (ms since epoch), and why. */
  hold?: { until: number; reason: string };
  /** Calls per second the API's RateLimit-Policy allows. */
  apiRate?: number;
  /** The API's quota: what is left, and when it resets. */
  quota?: { remaining: number; resetAt: number };
}

/** The circuit breaker: open while the API does not answer, probed with one call at a growing interval. */
export interface BreakerState {
  /** Since when the API has not answered (ms since epoch); absent: closed. */
  openSince?: number;
  /** Probes sent in this outage. */
  probes: number;
  /** The outage alert went out: the API's return is announced too. */
  alerted: boolean;
}

/** What continue-as-new carries of the pace. */
export interface PaceCarry {
  law: PaceState;
  breaker: BreakerState;
}

/** The pace as `status` shows it, and as `status --json` gives it. */
export interface PaceView {
  /** Adaptive (below the ceilings) or fixed (`--adaptive off`). */
  adaptive: boolean;
  /** growing, steady, backing-off, holding, api-unavailable, fixed. */
  state: 'growing' | 'steady' | 'backing-off' | 'holding' | 'api-unavailable' | 'fixed';
  /** Calls per second the batch has been making lately. */
  callsPerSecond: number;
  /** The rate the pace allows now, calls/s; null: no limit found or set. */
  rate: number | null;
  /** --rps; null: none. */
  rateCeiling: number | null;
  concurrency: number;
  concurrencyCeiling: number;
  /** Why the pace backs off or holds (`429s`, `503s`, `latency`, `Retry-After`, …), and since when (ISO time). */
  reason: string | null;
  since: string | null;
  /** Until when nothing is sent (ISO time). */
  holdUntil: string | null;
  /** Since when the API has not answered (ISO time), and how often it is probed. */
  apiUnavailableSince: string | null;
  probeEverySeconds: number | null;
  /** The API's own limit from its RateLimit-Policy, calls/s. */
  apiRate: number | null;
}
