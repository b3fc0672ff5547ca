/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../utils/browser.js';
import { AppModule } from '../../sample/src/app.module.js';
import { configureSample } from '../../sample/src/setup.js';
import { startApp, type TestApp } from '../utils/app.js';

describe('the sample login page in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let browser: TestBrowser | undefined;
  let page: Page;

  beforeAll(async () => {
    t = await startApp('express', { imports: [AppModule] }, async (app) => {
      await configureSample(app);
    });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(`${t.url}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function click(id: string): Promise<{ status: number; text: string }> {
    await page.evaluate(() => {
      delete document.getElementById('out')!.dataset.status;
    });
    await page.click(`#${id}`);
    await page.waitForSelector('#out[data-status]');
    const text = (await page.textContent('#out')) ?? '';
    return { status: Number(text.split(' ')[0]), text };
  }

  it('logs in with cookies, calls protected routes, sends the CSRF header, refreshes and logs out', async () => {
    expect((await click('login-button')).status).toBe(200);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'access_token')?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('access_token');

    const me = await click('me');
    expect(me.status).toBe(200);
    expect(me.text).toContain('"username":"bob"');

    expect((await click('note')).status).toBe(201);

    // A forged request: the cookies go along, the CSRF header does not.
    const forged = await page.evaluate(async () => {
      const res = await fetch('/web/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"forged"}' });
      return { status: res.status, body: (await res.json()) as { code?: string } };
    });
    expect(forged).toEqual({ status: 403, body: expect.objectContaining({ code: 'csrf_failed' }) });

    expect((await click('refresh')).status).toBe(200);
    expect((await click('me')).status).toBe(200);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/login-page.png', fullPage: true });

    expect((await click('logout')).status).toBe(200);
    const after = await click('me');
    expect(after.status).toBe(401);
    expect(after.text).toContain('credentials_missing');
  }, 60_000);
});
