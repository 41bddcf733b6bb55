/// <reference lib="dom" />
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { signAlertLink } from '../../src/token/alert-link';
import { startAlertReceiver, type AlertReceiver } from '../helpers/alert-receiver';
import { spawnCli, spawnWorker } from '../helpers/cli-process';
import {
  OPERATOR_PASSWORD,
  screenshot,
  signIn,
  startConsoleProcess,
  TestBrowser,
  VIEWER_PASSWORD,
  type ConsoleProcess,
} from '../helpers/console-browser';
import { createHarness, resultOf, waitForProgress, waitForState, type Harness } from '../helpers/harness';
import { historyText } from '../helpers/history-text';
import { startOidcLoginServer } from '../helpers/oidc-login-server';
import { freePort } from '../helpers/ports';

/** Starts a batch through the CLI that waits for a token after `expireAfter` calls (the workers have no provider). */
async function startWaitingBatch(
  h: Harness,
  file: string,
  batchId: string,
  extra: string[] = [],
): Promise<ReturnType<Harness['client']['workflow']['getHandle']>> {
  const start = spawnCli(
    h,
    ['start', '--clients', file, '--api-url', h.api.baseUrl, '--id', batchId, '--task-queue', h.taskQueue, ...extra],
    { API_TOKEN: h.api.issueToken() },
  );
  expect(await start.exited, start.output()).toBe(0);
  const handle = h.client.workflow.getHandle(batchId);
  await waitForProgress(handle, (p) => p.state === 'waiting-for-token' && p.inFlight === 0, 60_000);
  return handle;
}

/** Every place the issued token must never appear: the console's log, the pages, the URLs, the history, Temporal Web. */
async function expectNoLeak(token: string, places: Record<string, string>): Promise<void> {
  for (const [place, text] of Object.entries(places))
    expect(text.includes(token), `${place} holds the token`).toBe(false);
}

describe('the console, in a real browser', () => {
  let h: Harness | undefined;
  let browser: TestBrowser | undefined;
  let receiver: AlertReceiver | undefined;
  let console_: ConsoleProcess | undefined;
  afterEach(async () => {
    await browser?.close();
    await receiver?.close();
    await h?.close();
    browser = receiver = h = console_ = undefined;
  });

  it('a person signs in, sees the batches, opens the waiting one and pastes a token: it completes, each client once', async () => {
    h = await createHarness({ expireAfter: 40 });
    const { path: file, ids } = await h.clientFile(60);
    console_ = await startConsoleProcess(h, { TEMPORAL_UI_URL: inject('temporalUiUrl') ?? undefined });
    await spawnWorker(h);
    const handle = await startWaitingBatch(h, file, 'console-1', ['--concurrency', '1']);
    browser = await TestBrowser.launch();
    const { page } = await browser.visitor();

    await page.goto(console_.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That password is not right.').waitFor();
    await page.getByLabel('Password').fill(OPERATOR_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator('tr', { hasText: 'console-1' });
    await row.getByText('waiting-for-token').waitFor();
    expect(await row.getByRole('link', { name: 'open' }).getAttribute('href')).toBe(
      `${inject('temporalUiUrl')}/namespaces/default/workflows/console-1`,
    );
    await screenshot(page, 'batches');

    await row.getByRole('link', { name: 'console-1' }).click();
    await page.getByRole('heading', { name: 'Waiting for a new token' }).waitFor();
    await page.getByText('ClientId C-000041').first().waitFor();
    await screenshot(page, 'waiting-batch');
    const token = h.api.issueToken();
    await page.getByLabel('New API token').fill(token);
    await page.getByRole('button', { name: 'Hand the batch this token' }).click();
    await page
      .getByRole('status')
      .getByText(/Resumed/)
      .waitFor();
    expect(await page.getByRole('status').innerText()).toMatch(
      /^Resumed batch console-1: \d+ pending, resume from C-000041$/,
    );

    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 60, failed: 0 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });
    await expect
      .poll(async () => (await page.reload(), await page.locator('h1 .state').innerText()), { timeout: 20_000 })
      .toBe('completed');

    const web = await browser.visitor();
    await web.page.goto(`${inject('temporalUiUrl')}/namespaces/default/workflows/console-1`);
    await web.page.getByText('console-1').first().waitFor({ timeout: 30_000 });
    await web.page.waitForLoadState('networkidle');
    await expectNoLeak(token, {
      "the console's output": console_.process.output(),
      "the page's HTML": await page.content(),
      'the URLs the browser asked for': browser.urls.join('\n'),
      "the batch's history": await historyText(h, 'console-1'),
      'Temporal Web': await web.page.content(),
    });
    expect(browser.dialogs).toEqual([]);
  });

  it("hands a token through the alert's link, once; a forged, an expired and a used link are refused", async () => {
    h = await createHarness({ expireAfter: 30 });
    receiver = await startAlertReceiver();
    const { path: file, ids } = await h.clientFile(50);
    console_ = await startConsoleProcess(h);
    await spawnWorker(h, { CLIENTSYNC_CONSOLE_URL: console_.url });
    const handle = await startWaitingBatch(h, file, 'linked-1', ['--concurrency', '1', '--notify', receiver.url]);
    await expect.poll(() => receiver!.received.find((a) => a.consoleUrl), { timeout: 30_000 }).toBeTruthy();
    const alert = receiver.received.find((a) => a.consoleUrl)!;
    const link = alert.consoleUrl!;
    expect(link.startsWith(`${console_.url}/link/`)).toBe(true);
    expect(alert.text).toContain(`<${link}|Hand it a token in the console>`);
    browser = await TestBrowser.launch();

    const refusal = async (url: string) => {
      const { page } = await browser!.visitor();
      const res = await page.goto(url);
      return { status: res!.status(), text: await page.locator('main').innerText() };
    };
    const signature = link.slice(link.lastIndexOf('.') + 1);
    const forged = `${link.slice(0, -signature.length)}${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(await refusal(forged)).toMatchObject({
      status: 403,
      text: expect.stringMatching(/not one the console issued/),
    });
    const expired = await signAlertLink(console_.url, 'linked-1', h.sealKey, 60_000, Date.now() - 120_000);
    expect(await refusal(expired)).toMatchObject({ status: 403, text: expect.stringMatching(/has expired/) });
    const other = await signAlertLink(console_.url, 'linked-1', randomBytes(32));
    expect(await refusal(other)).toMatchObject({
      status: 403,
      text: expect.stringMatching(/not one the console issued/),
    });

    const { page } = await browser.visitor();
    await page.goto(link);
    await page.getByRole('button', { name: 'Open batch linked-1' }).click();
    await page.getByRole('heading', { name: 'Waiting for a new token' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/batches/linked-1');
    // The link opens this batch and nothing else: not the list, not another batch's page, no action.
    await page.goto(console_.url);
    expect(new URL(page.url()).pathname).toBe('/batches/linked-1');
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    await page.goBack();
    const token = h.api.issueToken();
    await page.getByLabel('New API token').fill(token);
    await page.getByRole('button', { name: 'Hand the batch this token' }).click();
    await page
      .getByRole('status')
      .getByText(/Resumed batch linked-1/)
      .waitFor();
    expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 50, failed: 0 });
    expect(h.api.ledger.check(ids)).toMatchObject({ missing: [], repeated: [] });

    const again = await browser.visitor();
    await again.page.goto(link);
    const used = await again.page.getByRole('button', { name: 'Open batch linked-1' });
    const [answer] = await Promise.all([
      again.page.waitForResponse((r) => r.request().method() === 'POST'),
      used.click(),
    ]);
    expect(answer.status()).toBe(403);
    expect(await again.page.locator('main').innerText()).toMatch(/has been used already/);
    await expectNoLeak(token, {
      "the console's output": console_.process.output(),
      "the page's HTML": await page.content(),
      'the URLs the browser asked for': browser.urls.join('\n'),
      "the batch's history": await historyText(h, 'linked-1'),
    });
  });

  it('lets a viewer see everything and change nothing, refuses a form from another origin, and shows data as text', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    h = await createHarness({ expireAfter: 20, missingIds: [xss] });
    const file = path.join(h.dir, 'clients.json');
    const list = [{ ClientId: xss }, ...Array.from({ length: 39 }, (_, i) => ({ ClientId: `C-${i}` }))];
    await writeFile(file, JSON.stringify([{ ClientList: list }]));
    console_ = await startConsoleProcess(h);
    await spawnWorker(h);
    await startWaitingBatch(h, file, 'viewed-1', ['--concurrency', '1']);
    browser = await TestBrowser.launch();

    const viewer = await browser.visitor();
    await signIn(viewer.page, console_.url, VIEWER_PASSWORD);
    await viewer.page.getByRole('link', { name: 'viewed-1' }).click();
    await viewer.page.getByRole('heading', { name: 'Failures' }).waitFor();
    // The ClientId and the API's answer, which both hold markup, are shown as text; no script ran.
    await viewer.page.getByText(xss, { exact: true }).waitFor();
    await viewer.page.getByText(`{"ErrorMessage":"Client ${xss} not found"}`).waitFor();
    expect(await viewer.page.locator('img').count()).toBe(0);
    expect(await viewer.page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect(await viewer.page.getByLabel('New API token').count()).toBe(0);
    await viewer.page.getByText('An operator can hand it one here; you can see it only.').waitFor();
    // A viewer's own POSTs, with its CSRF token, are refused all the same.
    const post = (url: string, form: Record<string, string>) =>
      viewer.page.evaluate(
        async ({ url, form }) => {
          const csrf = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
          const body = new URLSearchParams({ ...form, _csrf: csrf });
          return (await fetch(url, { method: 'POST', body, redirect: 'manual' })).status;
        },
        { url, form },
      );
    expect(await post('/batches/viewed-1/actions/cancel', { confirm: 'yes' })).toBe(403);
    expect(await post('/batches/viewed-1/token', { token: 'from-a-viewer' })).toBe(403);

    // An operator signed in, lured to a page on another origin that posts a form to the console.
    const operator = await browser.visitor();
    await signIn(operator.page, console_.url, OPERATOR_PASSWORD);
    const evil = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<form id=f method=post action="${console_!.url}/batches/viewed-1/actions/cancel">
           <input name=confirm value=yes></form><script>document.getElementById('f').submit()</script>`,
      ),
    );
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const [answer] = await Promise.all([
        operator.page.waitForResponse((r) => r.url().includes('/actions/cancel')),
        operator.page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`),
      ]);
      expect(answer.status()).toBe(403);
    } finally {
      evil.close();
    }
    await waitForState(h.client.workflow.getHandle('viewed-1'), 'waiting-for-token');
    await operator.page.goto(`${console_.url}/batches/viewed-1`);
    await operator.page.getByText(xss, { exact: true }).waitFor();
    expect(browser.dialogs).toEqual([]);

    // A guesser gets five tries; the sixth is refused, the right password too, and the log says so without it.
    const guesser = await browser.visitor();
    await guesser.page.goto(`${console_.url}/login`);
    for (let i = 0; i < 5; i++) {
      await guesser.page.getByLabel('Password').fill(`guess ${i}`);
      await guesser.page.getByRole('button', { name: 'Sign in' }).click();
      await guesser.page.getByText('That password is not right.').waitFor();
    }
    await guesser.page.getByLabel('Password').fill(OPERATOR_PASSWORD);
    await guesser.page.getByRole('button', { name: 'Sign in' }).click();
    await guesser.page.getByText(/^Too many failed attempts; try again in 1[45] min\.$/).waitFor();
    expect(new URL(guesser.page.url()).pathname).toBe('/login');
    expect(console_.process.output()).not.toContain(OPERATOR_PASSWORD);
  });

  it('signs people in through an OpenID provider: an operator pauses and resumes, each asked first; others only view', async () => {
    h = await createHarness({ latencyMs: 20 });
    const { path: file } = await h.clientFile(3000);
    const port = await freePort();
    const idp = await startOidcLoginServer(`http://127.0.0.1:${port}/auth/callback`);
    try {
      console_ = await startConsoleProcess(
        h,
        { CLIENTSYNC_CONSOLE_PASSWORD: undefined, CLIENTSYNC_OIDC_CLIENT_SECRET: idp.clientSecret },
        [
          ...['--listen', `127.0.0.1:${port}`, '--oidc-issuer', idp.issuer, '--oidc-client-id', idp.clientId],
          ...['--operators', 'alice@example.test'],
        ],
      );
      await spawnWorker(h);
      const start = spawnCli(
        h,
        // A ceiling on the rate keeps the batch running while the browser signs people in.
        [
          'start',
          '--clients',
          file,
          '--api-url',
          h.api.baseUrl,
          '--id',
          'oidc-1',
          '--task-queue',
          h.taskQueue,
          '--rps',
          '100',
        ],
        { API_TOKEN: h.api.issueToken(), CLIENTSYNC_CONSOLE_PASSWORD: undefined },
      );
      expect(await start.exited, start.output()).toBe(0);
      browser = await TestBrowser.launch();
      const signInAs = async (login: string) => {
        const { page } = await browser!.visitor();
        await page.goto(console_!.url);
        await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
        await page.locator('input[name=login]').fill(login);
        await page.locator('input[name=password]').fill('any');
        await page.locator('button[type=submit]').click();
        await page.locator('button[type=submit]').click(); // the provider's consent
        await page.getByRole('heading', { name: 'Batches' }).waitFor();
        return page;
      };

      const bob = await signInAs('bob');
      await bob.getByText('bob@example.test (viewer)').waitFor();
      await bob.getByRole('link', { name: 'oidc-1' }).click();
      await bob.getByText('Succeeded · failed · duplicates').waitFor();
      expect(await bob.getByRole('heading', { name: 'Actions' }).count()).toBe(0);

      const alice = await signInAs('alice');
      await alice.getByText('alice@example.test (operator)').waitFor();
      await alice.getByRole('link', { name: 'oidc-1' }).click();
      await alice.locator('#progress-chart canvas').waitFor();
      await screenshot(alice, 'batch');
      await alice.getByRole('button', { name: 'Pause…' }).click();
      await alice.getByRole('heading', { name: /^Pause batch oidc-1\?/ }).waitFor();
      await alice.getByRole('button', { name: 'Yes, pause' }).click();
      await alice
        .getByRole('status')
        .getByText(/^Paused oidc-1/)
        .waitFor();
      const handle = h.client.workflow.getHandle('oidc-1');
      await waitForState(handle, 'paused');
      await alice.getByRole('button', { name: 'Resume…' }).click();
      await alice.getByRole('button', { name: 'Yes, resume' }).click();
      await alice.getByRole('status').getByText('Resumed oidc-1.').waitFor();
      expect(await resultOf(handle)).toMatchObject({ state: 'completed', succeeded: 3000 });
      expect(console_.process.output()).toMatch(/Signed in alice@example.test as operator through OIDC/);
      expect(console_.process.output()).not.toContain(idp.clientSecret);
    } finally {
      await idp.close();
    }
  });
});
