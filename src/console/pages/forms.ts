import { html } from 'hono/html';
import type { Session } from '../auth/session';
import { batchPath, csrfField, page, type Html } from './layout';

// The pages that ask before they act: sign-in, the confirmation of an action, and an alert's link.

export interface LoginChoices {
  password: boolean;
  oidc: boolean;
  /** Why the last attempt failed, or how long to wait. */
  problem?: string;
  returnTo: string;
}

export function loginPage(session: Session, choices: LoginChoices): Html {
  return page(
    'Sign in',
    session,
    html`<h1>Sign in</h1>
      ${choices.problem ? html`<p class="problem" role="alert">${choices.problem}</p>` : ''}
      ${
        choices.password
          ? html`<form method="post" action="/login" class="login">
              ${csrfField(session)}<input type="hidden" name="returnTo" value="${choices.returnTo}" />
              <label>Password <input type="password" name="password" autocomplete="current-password" required /></label>
              <button type="submit">Sign in</button>
            </form>`
          : ''
      }
      ${
        choices.oidc
          ? html`<p>
              <a class="button" href="/auth/oidc?returnTo=${encodeURIComponent(choices.returnTo)}"
                >Sign in with your identity provider</a
              >
            </p>`
          : ''
      }`,
  );
}

/** What an action does, asked before it is done. */
export interface Confirmation {
  batchId: string;
  action: string;
  /** One sentence: what happens on yes. */
  question: string;
  /** The fields to send again, as the form had them. */
  fields: Record<string, string>;
}

export function confirmPage(session: Session, c: Confirmation): Html {
  return page(
    `Confirm ${c.action}`,
    session,
    html`<h1>${c.question}</h1>
      <form method="post" action="${batchPath(c.batchId, `/actions/${c.action}`)}">
        ${csrfField(session)}<input type="hidden" name="confirm" value="yes" />
        ${Object.entries(c.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`)}
        <button type="submit">Yes, ${c.action}</button>
        <a href="${batchPath(c.batchId)}">No, go back</a>
      </form>`,
  );
}

/**
 * A link, before it is used: using it is a POST, so a chat app that previews links does not spend it. A link
 * names a batch (an alert's), or none (a sign-in link).
 */
export function linkPage(session: Session, batchId: string | undefined, link: string): Html {
  const [title, what, button] = batchId
    ? [`Batch ${batchId} is waiting for a token`, 'see this batch and hand it a new API token', `Open batch ${batchId}`]
    : ['Sign in to the console', 'sign in as an operator', 'Sign in'];
  return page(
    title,
    session,
    html`<h1>${title}</h1>
      <p>This link lets you ${what}, once.</p>
      <form method="post" action="/link">
        ${csrfField(session)}<input type="hidden" name="link" value="${link}" />
        <button type="submit">${button}</button>
      </form>`,
  );
}
