import { html } from 'hono/html';
import type { Session } from '../auth/session';
import type { BatchRow } from '../batch-reads';
import { durationText, percentOf, rateText, sinceText, timeText } from './format';
import { batchPath, page, type Html } from './layout';

/** How often the list redraws itself. */
const REFRESH = 'every 5s';

export function listPage(session: Session, rows: BatchRow[], webLink: (batchId: string) => string | undefined): Html {
  return page(
    'Batches',
    session,
    html`<h1>Batches</h1>
      <table class="batches">
        <thead>
          <tr>
            <th>Batch</th>
            <th>State</th>
            <th>Progress</th>
            <th>Calls/s</th>
            <th>ETA</th>
            <th>Failed</th>
            <th>Waiting for a person</th>
            <th>Started</th>
            <th>Temporal Web</th>
          </tr>
        </thead>
        <tbody hx-get="/batches/rows" hx-trigger="${REFRESH}" hx-swap="innerHTML">
          ${listRows(rows, webLink)}
        </tbody>
      </table>`,
  );
}

/** The table's rows, which htmx asks again every few seconds. */
export function listRows(rows: BatchRow[], webLink: (batchId: string) => string | undefined): Html {
  if (rows.length === 0)
    return html`<tr>
      <td colspan="9">No batches yet. <code>clientsync start --clients FILE --api-url URL</code> starts one.</td>
    </tr>`;
  return html`${rows.map((r) => row(r, webLink(r.batchId)))}`;
}

function row(r: BatchRow, web: string | undefined): Html {
  const state = r.state ?? r.status.toLowerCase();
  const percent = percentOf(r.processed, r.total);
  return html`<tr class="state-${state}">
    <td><a href="${batchPath(r.batchId)}">${r.batchId}</a></td>
    <td><span class="state">${state}</span></td>
    <td>
      <progress max="100" value="${percent}">${percent}%</progress>
      ${r.processed ?? 0} of ${r.total ?? '?'}
    </td>
    <td>${rateText(r.callsPerSecond)}</td>
    <td>${durationText(r.etaSeconds)}</td>
    <td>${r.failed ?? 0}</td>
    <td>${r.waitingSince ? sinceText(r.waitingSince) : ''}</td>
    <td>${timeText(r.startTime)}</td>
    <td>${web ? html`<a href="${web}" rel="noreferrer">open</a>` : ''}</td>
  </tr>`;
}
