import { recordedUiUrl } from '../domain/server-record';

/**
 * Temporal Web's page for a batch: under TEMPORAL_UI_URL, else under the Web of the server that clientsync
 * started at `address`; undefined when neither is known (a guessed port would be a wrong link).
 */
export function webUrl(batchId: string, namespace: string, address: string, env = process.env): string | undefined {
  const base = (env.TEMPORAL_UI_URL || recordedUiUrl(address))?.replace(/\/$/, '');
  return base && `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(batchId)}`;
}

/** The line that gives a batch's page, or says how to get one. */
export function webLine(url: string | undefined, address: string): string {
  return url
    ? `Temporal Web: ${url}`
    : `Temporal Web: unknown for the server at ${address}; set TEMPORAL_UI_URL to its address for links`;
}
