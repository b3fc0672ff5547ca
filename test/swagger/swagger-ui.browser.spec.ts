/// <reference lib="dom" />
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../utils/browser.js';
import { AppModule } from '../../sample/src/app.module.js';
import { setupDocs } from '../../sample/src/docs.js';
import { configureSample } from '../../sample/src/setup.js';

describe("the sample's Swagger UI in a real browser: Authorize with the password flow, then call a protected route", () => {
  let app: INestApplication;
  let url: string;
  let browser: TestBrowser | undefined;
  let page: Page;

  beforeAll(async () => {
    // The sample's main.ts, in its order: create, configure, document, listen (no init() before).
    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
    await configureSample(app);
    setupDocs(app);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Runs GET /me from its operation block, as a user clicks it; answers what the browser sent and got. */
  async function tryGetMe(): Promise<{ status: number; authorization: string | undefined }> {
    const block = page.locator('.opblock', { has: page.locator('.opblock-summary-path[data-path="/me"]') }).first();
    if (!(await block.locator('.execute').isVisible())) {
      if (!(await block.locator('.try-out__btn').isVisible())) await block.locator('.opblock-summary').click();
      await block.locator('.try-out__btn').click();
    }
    const answer = page.waitForResponse((response) => new URL(response.url()).pathname === '/me');
    await block.locator('.execute').click();
    const response = await answer;
    return { status: response.status(), authorization: response.request().headers()['authorization'] };
  }

  it('GET /me is 401 before Authorize, 200 after logging in through the OAuth2 password flow', async () => {
    await page.goto(`${url}/docs`);
    await page.locator('button.btn.authorize').first().waitFor();
    expect(await tryGetMe()).toEqual({ status: 401, authorization: undefined });

    await page.locator('button.btn.authorize').first().click();
    const oauth = page.locator('.auth-container', { hasText: 'OAuth2, password' });
    await oauth.locator('#oauth_username').fill('bob');
    await oauth.locator('#oauth_password').fill('bob-password');
    const login = page.waitForResponse((response) => response.url().endsWith('/auth/login'));
    await oauth.locator('button.authorize').click();
    const answer = await login;
    expect(answer.status()).toBe(200);
    expect(answer.request().headers()['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(answer.request().postData()).toMatch(/(^|&)grant_type=password(&|$)/);
    await oauth.locator('h6', { hasText: 'Authorized' }).waitFor();
    await page.locator('.modal-ux button.close-modal').click();

    const after = await tryGetMe();
    expect(after.status).toBe(200);
    expect(after.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  }, 60_000);
});
