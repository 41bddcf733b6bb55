// The names of clientsync's metrics: one place for the worker, the dashboard, the alert rules and the tests.
// Pure data: the workflow imports it too.
import type { Sinks } from '@temporalio/workflow';

export const METRICS = {
  apiCalls: 'clientsync_api_calls',
  apiCallDuration: 'clientsync_api_call_duration_seconds',
  clientsProcessed: 'clientsync_clients_processed',
  tokenRefreshes: 'clientsync_token_refreshes',
  batchesRunning: 'clientsync_batches_running',
  batchesWaiting: 'clientsync_batches_waiting_for_person',
  oldestWait: 'clientsync_oldest_wait_for_person_seconds',
  alertsSent: 'clientsync_alerts_sent',
  paceConcurrency: 'clientsync_pace_concurrency',
  paceRate: 'clientsync_pace_rate',
} as const;

/**
 * Each metric's help text; one instrument may be made in two places (an activity and the workflow), with the same help.
 */
export const HELP: Record<keyof typeof METRICS, string> = {
  apiCalls: 'API calls by how they ended',
  apiCallDuration: 'API call duration, from request to the whole answer',
  clientsProcessed: 'clients whose outcome was recorded, by result',
  tokenRefreshes: 'token refreshes by kind (person, automatic) and outcome',
  batchesRunning: "open batches of the worker's task queue that call the API (not paused, not waiting)",
  batchesWaiting: "open batches of the worker's task queue that wait for a person",
  oldestWait: 'seconds the longest-waiting of those batches has waited',
  alertsSent: 'alerts posted to the webhook',
  paceConcurrency: 'calls a batch may have in flight now, as its pace allows (0: ended)',
  paceRate: 'calls per second a batch may make now, as its pace allows (0: no rate limit)',
};

/**
 * What the workflow reports to the worker's meter, through a sink: the SDK calls it once, never during replay.
 * (The workflow's own meter tags in camelCase, which Prometheus' conventions refuse.)
 */
export interface MetricsSinks extends Sinks {
  metrics: {
    /** A person's token reached the batch (tokenRefreshed, or `refresh-token`'s Update). */
    personRefresh(batchId: string): void;
    /** A paced batch's limits changed: calls in flight and calls per second (0: none); both 0 when it ended. */
    pace(batchId: string, concurrency: number, rate: number): void;
  };
}

/** How one API call ended, as `clientsync_api_calls_total{outcome}` counts it. */
export type CallOutcome =
  | 'succeeded'
  | 'failed'
  | 'token_expired'
  | 'retried_429'
  | 'retried_5xx'
  | 'timeout'
  | 'connection_error'
  | 'not_sent';

/** The API call's histogram buckets, in seconds: from a fast local API to the 15 s default timeout. */
export const CALL_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];
