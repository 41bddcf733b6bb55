import { Context } from '@temporalio/activity';
import { Runtime } from '@temporalio/worker';
import type { MetricCounter, MetricGauge, MetricHistogram } from '@temporalio/common';
import { performance } from 'node:perf_hooks';
import { callApi, type HttpAnswer, type HttpCall } from '../domain/request/http-call';
import type { Verdict } from '../domain/classify';
import type { InjectedSinks } from '@temporalio/worker';
import { CounterBuffer } from './counter-buffer';
import { HELP, METRICS, type CallOutcome, type MetricsSinks } from './metric-names';
import { activeTracing } from './tracing';

/** The activities' metrics, created once per process on the SDK's meter (a no-op unless the worker exports metrics). */
let metrics:
  | {
      calls: MetricCounter;
      duration: MetricHistogram;
      processed: MetricCounter;
      refreshes: MetricCounter;
      alerts: MetricCounter;
    }
  | undefined;
function activityMetrics() {
  if (!metrics) {
    const meter = Runtime.instance().metricMeter;
    metrics = {
      calls: meter.createCounter(METRICS.apiCalls, '', HELP.apiCalls),
      duration: meter.createHistogram(METRICS.apiCallDuration, 'float', '', HELP.apiCallDuration),
      processed: meter.createCounter(METRICS.clientsProcessed, '', HELP.clientsProcessed),
      refreshes: meter.createCounter(METRICS.tokenRefreshes, '', HELP.tokenRefreshes),
      alerts: meter.createCounter(METRICS.alertsSent, '', HELP.alertsSent),
    };
  }
  return metrics;
}

const buffered = new CounterBuffer();

/**
 * The labels of a batch's metrics: its task queue and its id (batches are few; ClientIds and tokens are never labels).
 */
export type BatchLabels = { task_queue: string; batch_id: string };

/** The labels of the batch an activity works for. */
export const labelsOf = (batchId: string): BatchLabels => ({
  task_queue: Context.current().info.taskQueue,
  batch_id: batchId,
});

/** How a call ended, by its verdict and status. */
export function callOutcome(verdict: Verdict, status: number | null): CallOutcome {
  switch (verdict.kind) {
    case 'success':
      return 'succeeded';
    case 'fail':
      return status === null ? 'not_sent' : 'failed';
    case 'token-expired':
      return 'token_expired';
    case 'retry':
      if (status === 429) return 'retried_429';
      if (status === 408) return 'timeout';
      if (status !== null) return 'retried_5xx';
      return verdict.reason === 'Timeout' ? 'timeout' : 'connection_error';
  }
}

/** One API call: its outcome, and its duration when a request was sent. */
export function countCall(labels: BatchLabels, verdict: Verdict, status: number | null, seconds: number): void {
  const m = activityMetrics();
  const outcome = callOutcome(verdict, status);
  buffered.add(METRICS.apiCalls, m.calls, { ...labels, outcome });
  if (outcome !== 'not_sent') m.duration.record(seconds, { task_queue: labels.task_queue });
}

/** A client's outcome, recorded in the store. */
export const countProcessed = (labels: BatchLabels, result: 'succeeded' | 'failed') =>
  buffered.add(METRICS.clientsProcessed, activityMetrics().processed, { ...labels, result });

export const countRefresh = (labels: BatchLabels, kind: 'person' | 'automatic', outcome: 'succeeded' | 'failed') =>
  activityMetrics().refreshes.add(1, { ...labels, kind, outcome });

export const countAlert = (labels: BatchLabels) => activityMetrics().alerts.add(1, labels);

/** callApi, counted by outcome and timed, and a span of its own when the worker traces. */
export async function meteredCall(call: HttpCall): Promise<HttpAnswer> {
  const began = performance.now();
  const tracing = activeTracing();
  const answer = await (tracing ? tracing.call(call, callApi) : callApi(call));
  countCall(labelsOf(call.batchId), answer.verdict, answer.status, (performance.now() - began) / 1000);
  return answer;
}

let paceGauges: { concurrency: MetricGauge; rate: MetricGauge } | undefined;
function paceMetrics() {
  if (!paceGauges) {
    const meter = Runtime.instance().metricMeter;
    paceGauges = {
      concurrency: meter.createGauge(METRICS.paceConcurrency, 'int', '', HELP.paceConcurrency),
      rate: meter.createGauge(METRICS.paceRate, 'float', '', HELP.paceRate),
    };
  }
  return paceGauges;
}

/** The worker's side of the workflow's metrics sink (not called during replay). */
export function metricsSinks(): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      personRefresh: {
        fn: (info, batchId) => countRefresh({ task_queue: info.taskQueue, batch_id: batchId }, 'person', 'succeeded'),
        callDuringReplay: false,
      },
      pace: {
        fn: (info, batchId, concurrency, rate) => {
          const labels = { task_queue: info.taskQueue, batch_id: batchId };
          paceMetrics().concurrency.set(concurrency, labels);
          paceMetrics().rate.set(rate, labels);
        },
        callDuringReplay: false,
      },
    },
  };
}
