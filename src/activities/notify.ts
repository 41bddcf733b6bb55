import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes } from '../contract/failures';
import { SealKeyError, unsealToken } from '../token/seal';
import type { Alert } from '../contract/alert';
import { countAlert, labelsOf } from '../telemetry/call-metrics';
import type { ResultsStore } from '../store/results-store';
import { signAlertLink } from '../token/alert-link';

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
 * POSTs an alert as JSON, with a link to the console when the batch waits for a token, and records it in the
 * results store for the console. A receiver that is down or answers an error fails the attempt, and Temporal
 * retries it; the workflow never lets a failed alert fail the batch. Logs name the receiver's origin only.
 */
export function makeNotify(store: ResultsStore, sealKey: () => Promise<Buffer>, env: NodeJS.ProcessEnv = process.env) {
  return async function notify(input: NotifyInput): Promise<NotifyOutput> {
    const sentTo = await post(await withConsoleLink(input.alert, sealKey, env), input.sealedUrl, sealKey, env);
    const { alert } = input;
    await store
      .recordAlert(alert.batchId, { at: alert.at, event: alert.event, text: alert.text, sentTo })
      .catch((err: Error) => Context.current().log.warn(`Alert not recorded for the console: ${err.message}`));
    return { sentTo };
  };
}

/** The alert with a link to the console's page for a batch that waits for a token, when the console is known. */
async function withConsoleLink(alert: Alert, sealKey: () => Promise<Buffer>, env: NodeJS.ProcessEnv): Promise<Alert> {
  const consoleBase = env.CLIENTSYNC_CONSOLE_URL;
  if (!consoleBase || alert.state !== 'waiting-for-token' || alert.event === 'ended') return alert;
  const consoleUrl = await signAlertLink(consoleBase, alert.batchId, await sealKey());
  return { ...alert, consoleUrl, text: `${alert.text} <${consoleUrl}|Hand it a token in the console>` };
}

/** Sends the alert; where it went (the URL's origin), or null when there is nowhere to send it. */
async function post(
  alert: Alert,
  sealedUrl: string | undefined,
  sealKey: () => Promise<Buffer>,
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  let url: string | undefined;
  try {
    url = sealedUrl ? unsealToken(sealedUrl, await sealKey()) : env.CLIENTSYNC_NOTIFY_URL;
  } catch (err) {
    if (!(err instanceof SealKeyError)) throw err;
    throw ApplicationFailure.create({
      type: FailureTypes.TokenUnavailable,
      message: `the alert URL cannot be opened: ${err.message}`,
      nonRetryable: true,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  if (!url) return null;
  const origin = new URL(url).origin;
  let status: number;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
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
  Context.current().log.info(`Alert sent to ${origin}: batch ${alert.batchId} ${alert.event}`);
  countAlert(labelsOf(alert.batchId));
  return origin;
}
