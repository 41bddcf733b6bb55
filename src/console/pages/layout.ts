import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Session } from '../auth/session';

// The page around every page: no inline script or style (the Content-Security-Policy allows neither), htmx
// configured from a meta tag, and everything from data put in through `html`, which escapes it.

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** htmx's settings: no eval, no script from swapped content, no inline indicator style (the CSP refuses it). */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
});

/** A batch page's path. */
export const batchPath = (batchId: string, rest = '') => `/batches/${encodeURIComponent(batchId)}${rest}`;

/** A form's hidden CSRF field. */
export const csrfField = (session: Session) => html`<input type="hidden" name="_csrf" value="${session.csrf}" />`;

export function page(title: string, session: Session, body: Html, options: { chart?: boolean } = {}): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · clientsync</title>
        <link rel="stylesheet" href="/assets/console.css" />
        ${options.chart ? html`<link rel="stylesheet" href="/assets/uPlot.min.css" />` : ''}
        <script src="/assets/htmx.min.js" defer></script>
        ${options.chart ? html`<script src="/assets/uPlot.iife.min.js" defer></script>` : ''}
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">clientsync</a>
          ${session.role || session.linkBatch ? signedIn(session) : ''}
        </header>
        ${session.flash ? html`<p class="flash" role="status">${session.flash}</p>` : ''}
        <main>${body}</main>
      </body>
    </html>`;
}

function signedIn(session: Session): Html {
  const who = session.linkBatch ? `alert link for ${session.linkBatch}` : `${session.user} (${session.role})`;
  return html`<form class="who" method="post" action="/logout">
    <span>${who}</span>${csrfField(session)}<button type="submit">Sign out</button>
  </form>`;
}

/** A page that says what went wrong and where to go. */
export function problemPage(session: Session, title: string, message: string, back = '/'): Html {
  return page(
    title,
    session,
    html`<h1>${title}</h1>
      <p class="problem">${message}</p>
      <p><a href="${back}">Back</a></p>`,
  );
}
