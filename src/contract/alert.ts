// What a person is told when a batch needs them, and when it ends. Deterministic: no I/O, no Node built-ins.
import type { BatchState } from './batch-input';
import type { BatchProgress } from './progress';

export type AlertEvent =
  'waiting-for-person' | 'still-waiting' | 'wait-timeout' | 'api-unavailable' | 'api-back' | 'ended';

/** The JSON body POSTed to the alert URL; `text` alone makes a Slack (or Mattermost, Teams workflow) message. */
export interface Alert {
  text: string;
  event: AlertEvent;
  batchId: string;
  state: BatchState;
  /** Why the batch waits (or how it ended); null when it completed. */
  reason: string | null;
  resumeFromClientId: string | null;
  processed: number;
  succeeded: number;
  failed: number;
  duplicates: number;
  pending: number;
  total: number | null;
  waitingSince: string | null;
  /** The batch in Temporal Web; null when the starter did not know it. */
  webUrl: string | null;
  /**
   * A link to the waiting batch's page in the console, where a person hands it a new token: signed, good for
   * that batch only, once, for 24 hours. Added by the worker that sends the alert when it knows the console's
   * URL (CLIENTSYNC_CONSOLE_URL) and the batch waits for a token; absent otherwise.
   */
  consoleUrl?: string;
  /** The command that resumes the batch once the cause is fixed; null when it needs none. */
  resumeCommand: string | null;
  at: string;
}

/** The command that lets a waiting batch go on: a new token, or a resume after a pause. */
export function resumeCommandOf(p: Pick<BatchProgress, 'state' | 'batchId'>): string | null {
  if (p.state === 'waiting-for-token') return `clientsync refresh-token ${p.batchId}`;
  if (p.state === 'paused') return `clientsync resume ${p.batchId}`;
  return null;
}

const counts = (p: BatchProgress) =>
  `${p.processed}${p.total === null ? '' : ` of ${p.total}`} processed (${p.succeeded} succeeded, ${p.failed} failed)`;

/** One alert; `reason` says why the batch waits, `timeout` what the wait timeout did. */
export function alertOf(
  event: AlertEvent,
  p: BatchProgress,
  extra: { reason: string | null; waitingSince: string | null; webUrl: string | null; now: string; timeout?: string },
): Alert {
  const resumeCommand = event === 'ended' ? null : resumeCommandOf(p);
  const link = extra.webUrl ? ` <${extra.webUrl}|Temporal Web>` : '';
  const resume = resumeCommand ? ` Fix that, then run \`${resumeCommand}\`.` : '';
  const at = p.resumeFromClientId ? `; it resumes at ClientId ${p.resumeFromClientId}` : '';
  const texts: Record<AlertEvent, string> = {
    'waiting-for-person': `clientsync batch ${p.batchId} is waiting for a person: ${extra.reason}. ${counts(p)}${at}.${resume}${link}`,
    'still-waiting':
      `clientsync batch ${p.batchId} is still waiting for a person, ` +
      `since ${extra.waitingSince}: ${extra.reason}. ${counts(p)}${at}.${resume}${link}`,
    'wait-timeout':
      `clientsync batch ${p.batchId} waited for a person longer than its wait timeout, ` +
      `since ${extra.waitingSince}: ${extra.reason}; ${extra.timeout}. ${counts(p)}.${resume}${link}`,
    'api-unavailable':
      `clientsync batch ${p.batchId}: the API has not answered since ${extra.waitingSince} (${extra.reason}). ` +
      `The batch sends nothing but a probe now and then, and resumes by itself when the API answers; no client fails for it. ` +
      `${counts(p)}.${link}`,
    'api-back': `clientsync batch ${p.batchId}: the API answers again (${extra.reason}); the batch resumes. ${counts(p)}.${link}`,
    ended: `clientsync batch ${p.batchId} ${p.state}: ${counts(p)}${extra.reason ? `; ${extra.reason}` : ''}.${link}`,
  };
  return {
    text: texts[event],
    event,
    batchId: p.batchId,
    state: p.state,
    reason: extra.reason,
    resumeFromClientId: p.resumeFromClientId,
    processed: p.processed,
    succeeded: p.succeeded,
    failed: p.failed,
    duplicates: p.duplicates,
    pending: p.pending,
    total: p.total,
    waitingSince: extra.waitingSince,
    webUrl: extra.webUrl,
    resumeCommand,
    at: extra.now,
  };
}
