import { html } from 'hono/html';
import { limitsLine } from '../../contract/limits';
import { OPTION_TABLE } from '../../contract/option-table';
import { paceLine } from '../../domain/pace/pace-view';
import type { Session } from '../auth/session';
import type { BatchDetails } from '../batch-reads';
import { durationText, percentOf, rateText, sinceText, timeText } from './format';
import { batchPath, csrfField, page, type Html } from './layout';

/** What a session may do on a batch's page. */
export interface Powers {
  /** pause, resume, cancel, set, retry-failed */
  act: boolean;
  /** hand a waiting batch a token (an operator, or the batch's alert link) */
  handToken: boolean;
}

export function batchPage(session: Session, d: BatchDetails, powers: Powers, web: string | undefined): Html {
  const { progress: p } = d;
  return page(
    p.batchId,
    session,
    html`<h1>${p.batchId} <span class="state state-${p.state}">${p.state}</span></h1>
      ${web ? html`<p><a href="${web}" rel="noreferrer">Open in Temporal Web</a></p>` : ''}
      <section hx-get="${batchPath(p.batchId, '/live')}" hx-trigger="every 5s" hx-swap="innerHTML">
        ${liveSection(d)}
      </section>
      ${p.state === 'waiting-for-token' ? waitingPanel(session, d, powers) : ''}
      <section>
        <h2>Progress over time</h2>
        <div id="progress-chart" class="chart" data-src="${batchPath(p.batchId, '/chart.json')}"></div>
      </section>
      ${failuresSection(d)} ${alertsSection(d)} ${powers.act ? actionsSection(session, d) : ''}`,
    { chart: true },
  );
}

/** The part that redraws itself: counts, pace, limits, where it resumes. */
export function liveSection(d: BatchDetails): Html {
  const { progress: p } = d;
  const percent = percentOf(p.processed, p.total);
  const why = p.failure ?? p.pausedBecause ?? null;
  return html`<p>
      <progress max="100" value="${percent}">${percent}%</progress>
      <strong>${p.processed}</strong> of ${p.total ?? '?'} processed (${percent}%)
    </p>
    <dl class="facts">
      <dt>State</dt>
      <dd>${p.state}${why ? html` · ${why}` : ''}</dd>
      <dt>Succeeded · failed · duplicates</dt>
      <dd>${p.succeeded} · ${p.failed} · ${p.duplicates}</dd>
      <dt>Calls per second</dt>
      <dd>${rateText(d.callsPerSecond)}</dd>
      <dt>ETA</dt>
      <dd>${durationText(d.etaSeconds)}</dd>
      <dt>Resume point</dt>
      <dd>
        ${
          p.resumeFromClientId
            ? html`ClientId <code>${p.resumeFromClientId}</code>, ${p.pending} pending`
            : 'none: nothing is pending'
        }
      </dd>
      ${
        p.limits
          ? html`<dt>Limits</dt>
              <dd>${limitsLine(p.limits)}</dd>`
          : ''
      }
      ${
        p.pace && d.running
          ? html`<dt>Pace</dt>
              <dd>${paceLine(p.pace, p.failed)}</dd>`
          : ''
      }
      ${
        p.tokenExpiresAt
          ? html`<dt>Token expires</dt>
              <dd>${timeText(p.tokenExpiresAt)}</dd>`
          : ''
      }
      <dt>Started · updated</dt>
      <dd>${timeText(p.startedAt)} · ${timeText(p.updatedAt)}</dd>
    </dl>`;
}

function waitingPanel(session: Session, d: BatchDetails, powers: Powers): Html {
  const { progress: p } = d;
  const since = p.waitingForPersonSince ?? p.waitingSince;
  return html`<section class="waiting">
    <h2>Waiting for a new token</h2>
    <p>
      Why: ${p.lastTokenError ?? 'the API said the token expired'}. Waiting since ${timeText(since)}
      (${sinceText(since)}).
    </p>
    <p>
      Paste a new API token below. It is sealed here, with the key the workers share, and handed to the batch; the batch
      resumes at ClientId <code>${p.resumeFromClientId ?? '—'}</code> with ${p.pending} clients pending.
    </p>
    ${
      powers.handToken
        ? html`<form method="post" action="${batchPath(p.batchId, '/token')}" autocomplete="off">
            ${csrfField(session)}
            <label>New API token <input type="password" name="token" autocomplete="off" required /></label>
            <button type="submit">Hand the batch this token</button>
          </form>`
        : html`<p>An operator can hand it one here; you can see it only.</p>`
    }
  </section>`;
}

function failuresSection(d: BatchDetails): Html {
  const { progress: p } = d;
  if (p.failed === 0)
    return html`<section>
      <h2>Failures</h2>
      <p>No client has failed.</p>
    </section>`;
  return html`<section>
    <h2>Failures</h2>
    <p><a href="${batchPath(p.batchId, '/failures.csv')}" download>Download every failed client as CSV</a></p>
    <table class="failures">
      <thead>
        <tr>
          <th>Count</th>
          <th>Reason</th>
          <th>Status</th>
          <th>First clients, and what the API answered</th>
        </tr>
      </thead>
      <tbody>
        ${d.failures.map(
          (g) =>
            html`<tr>
              <td>${g.count}</td>
              <td>${g.reason ?? ''}</td>
              <td>${g.lastStatus ?? 'no answer'}</td>
              <td>
                ${g.samples.map(
                  (s) =>
                    html`<div>
                      <code>${s.clientId}</code>${s.body ? html` <q class="body">${s.body.slice(0, 200)}</q>` : ''}
                    </div>`,
                )}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function alertsSection(d: BatchDetails): Html {
  if (d.alerts.length === 0)
    return html`<section>
      <h2>Alerts sent</h2>
      <p>None.</p>
    </section>`;
  return html`<section>
    <h2>Alerts sent</h2>
    <table class="alerts">
      <thead>
        <tr>
          <th>At</th>
          <th>Event</th>
          <th>Sent to</th>
          <th>Text</th>
        </tr>
      </thead>
      <tbody>
        ${d.alerts.map(
          (a) =>
            html`<tr>
              <td>${timeText(a.at)}</td>
              <td>${a.event}</td>
              <td>${a.sentTo ?? 'nowhere: no alert URL'}</td>
              <td>${a.text}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

/** The limits `set` may change, as form fields named by their flags. */
const SETTABLE = OPTION_TABLE.filter((row) => row.settable);

function actionsSection(session: Session, d: BatchDetails): Html {
  const { progress: p } = d;
  const action = (name: string, label: string, fields: Html = html``) =>
    html`<form method="post" action="${batchPath(p.batchId, `/actions/${name}`)}" class="action-${name}">
      ${csrfField(session)} ${fields}<button type="submit">${label}</button>
    </form>`;
  if (!d.running) {
    return p.failed > 0
      ? html`<section class="actions">
          <h2>Actions</h2>
          ${action(
            'retry-failed',
            'Retry failed clients…',
            html`<label>Only statuses <input name="status" placeholder="5xx,429,none" /></label>
              <label>or reasons <input name="reason" placeholder="Timeout*" /></label>`,
          )}
          <p class="hint">The new batch uses the workers' own token; if they have none, it waits for one here.</p>
        </section>`
      : html``;
  }
  return html`<section class="actions">
    <h2>Actions</h2>
    ${p.state === 'paused' ? action('resume', 'Resume…') : action('pause', 'Pause…')} ${action('cancel', 'Cancel…')}
    ${action(
      'set',
      'Change limits…',
      html`${SETTABLE.map(
        (row) =>
          html`<label title="${row.help}"
            >--${row.flag} <input name="${row.flag}" placeholder="${row.value ?? ''}"
          /></label>`,
      )}`,
    )}
  </section>`;
}
