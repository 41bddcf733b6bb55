import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM_FLAGS } from '../helpers/console-browser';
import { createHarness, waitForProgress, type Harness } from '../helpers/harness';
import { setTimeout as sleep } from 'node:timers/promises';

// Written to the temp folder each run; docs/temporal-web-waiting-for-token.png is a copy of one kept on purpose.
const SCREENSHOT = path.join(tmpdir(), 'clientsync-temporal-web-waiting-for-token.png');

/** Polls the page's frames until one's text contains `needle`; returns that text. */
async function frameTextContaining(page: Page, needle: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const text = await frame
        .locator('body')
        .innerText()
        .catch(() => '');
      if (text.includes(needle)) return text;
    }
    if (Date.now() > deadline) throw new Error(`no frame shows "${needle}"`);
    await sleep(250);
  }
}

describe('Temporal Web', () => {
  let h: Harness | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('shows a batch waiting for a token, its resume point, and finds it by search attribute', async () => {
    const uiUrl = inject('temporalUiUrl');
    expect(uiUrl, 'the dev server of this run must have its Web UI (unset TEMPORAL_ADDRESS)').toBeTruthy();
    h = await createHarness({ expireAfter: 20 });
    const { path: file } = await h.clientFile(50);
    const worker = await h.worker();
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    let page!: Page;
    const batchId = `web-${Date.now()}`;
    // The worker keeps running while the page loads: Temporal Web asks it for the current details.
    await worker.runUntil(async () => {
      const handle = await h!.startBatch(file, { batchId, options: { concurrency: 1 } });
      const p = await waitForProgress(handle, (x) => x.state === 'waiting-for-token' && x.inFlight === 0);
      expect(p.resumeFromClientId).toBe('C-000021');
      browser = await chromium.launch({ executablePath: inject('chromiumPath'), args: CHROMIUM_FLAGS });
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${uiUrl}/namespaces/default/workflows/${batchId}`);
      // Each API call is listed by its summary, which names the ClientId.
      await page.getByText('ClientId C-000021').first().waitFor({ timeout: 30_000 });
      await page.getByText('User Metadata').first().click();
      try {
        // Temporal Web renders the details (markdown) in a sandboxed frame: read every frame's text.
        expect(await frameTextContaining(page, 'waiting for tokenRefreshed')).toMatch(
          /resume from ClientId C-000021 \(1 pending; TokenExpired:401; no automatic refresh: the workers have no token provider\)\. 20 of 50 processed/,
        );
      } finally {
        await page.screenshot({ path: SCREENSHOT });
      }
    });

    const query = encodeURIComponent(`ClientsyncState="waiting-for-token" AND WorkflowId="${batchId}"`);
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText(batchId).first().waitFor({ timeout: 30_000 });
  });
});
