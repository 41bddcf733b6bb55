import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { spawnCli, untilOutput, type CliProcess } from './cli-process';
import type { Harness } from './harness';

export const OPERATOR_PASSWORD = 'correct horse battery staple';
export const VIEWER_PASSWORD = 'a viewer only looks, 42';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Screenshots go to docs/console/ with UPDATE_SCREENSHOTS=1, else to the temp folder. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.UPDATE_SCREENSHOTS
    ? path.resolve(__dirname, '../../docs/console')
    : path.join(tmpdir(), 'clientsync-console');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

export interface ConsoleProcess {
  process: CliProcess;
  url: string;
}

/** `clientsync console` in its own process, on a free port, with an operator's and a viewer's password. */
export async function startConsoleProcess(
  h: Pick<Harness, 'address' | 'sealKey' | 'storePath' | 'dir'>,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<ConsoleProcess> {
  const process = spawnCli(h, ['console', '--listen', '127.0.0.1:0', ...args], {
    CLIENTSYNC_CONSOLE_PASSWORD: OPERATOR_PASSWORD,
    CLIENTSYNC_CONSOLE_VIEWER_PASSWORD: VIEWER_PASSWORD,
    ...env,
  });
  await untilOutput(process, /Console: http\S+\n/);
  return { process, url: /Console: (http\S+)\n/.exec(process.output())![1]! };
}

/** A browser whose pages record every dialog (an injected script's alert would open one) and every URL asked. */
export class TestBrowser {
  readonly dialogs: string[] = [];
  readonly urls: string[] = [];
  private constructor(readonly browser: Browser) {}

  static async launch(): Promise<TestBrowser> {
    return new TestBrowser(await chromium.launch({ executablePath: inject('chromiumPath'), args: CHROMIUM_FLAGS }));
  }

  /** A new visitor: no cookies shared with the others. */
  async visitor(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('dialog', (d) => {
      this.dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('request', (r) => this.urls.push(r.url()));
    return { context, page };
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}

/** Signs in with a password from the login page the console sends a signed-out visitor to. */
export async function signIn(page: Page, consoleUrl: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Batches' }).waitFor();
}
