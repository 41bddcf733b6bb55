import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../contract/failures';
import { SealKeyError, unsealToken } from '../token/seal';
import type { Alert } from '../contract/alert';
import { countAlert, labelsOf } from '../telemetry/call-metrics';

export interface NotifyInput {
  /** `start --notify URL`, sealed (a webhook URL is a secret); absent: the worker's CLIENTSYNC_NOTIFY_URL. */
  sealedUrl?: string;
  alert: Alert;
}

/** Where the alert went (the URL's origin only), or null: nowhere to send it. */
export interface NotifyOutput {
  sentTo: string | null;
}

/**
 * POSTs an alert as JSON. A receiver that is down or answers an error fails the attempt, and Temporal
 * retries it; the workflow never lets a failed alert fail the batch. Logs name the receiver's origin only.
 */
export function makeNotify(sealKey: () => Promise<Buffer>, env: NodeJS.ProcessEnv = process.env) {
  return async function notify(input: NotifyInput): Promise<NotifyOutput> {
    let url: string | undefined;
    try {
      url = input.sealedUrl ? unsealToken(input.sealedUrl, await sealKey()) : env.CLIENTSYNC_NOTIFY_URL;
    } catch (err) {
      if (!(err instanceof SealKeyError)) throw err;
      throw ApplicationFailure.create({
        type: FailureTypes.TokenUnavailable,
        message: `the alert URL cannot be opened: ${err.message}`,
        nonRetryable: true,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    if (!url) return { sentTo: null };
    const origin = new URL(url).origin;
    let status: number;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input.alert),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      throw ApplicationFailure.create({
        type: FailureTypes.Transient,
        message: `the alert receiver at ${origin} did not answer: ${(err as Error).message}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    if (status >= 300) {
      throw ApplicationFailure.create({
        type: FailureTypes.Transient,
        message: `the alert receiver at ${origin} answered ${status}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    Context.current().log.info(`Alert sent to ${origin}: batch ${input.alert.batchId} ${input.alert.event}`);
    countAlert(labelsOf(input.alert.batchId));
    return { sentTo: origin };
  };
}
