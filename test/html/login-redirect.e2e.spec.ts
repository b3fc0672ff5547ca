import { Controller, Get, Module, Post } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthModule, JwtAuthentication, Permissions, Public, type AuthModuleOptions } from '../../src/index.js';
import { prefersHtml } from '../../src/auth-error.filter.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../utils/app.js';
import { rawRequest } from '../utils/raw-request.js';
import { bootError } from '../startup/boot.js';
import { claims, hs } from '../utils/tokens.js';

const SECRET = 'html-clients-secret-html-clients-secret!';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

@Controller()
class PagesController {
  @Get('login')
  @Public()
  login(): string {
    return 'login page';
  }

  @Get('dashboard')
  dashboard(): { ok: true } {
    return { ok: true };
  }

  @Post('dashboard/settings')
  save(): { ok: true } {
    return { ok: true };
  }

  @Get('admin')
  @Permissions('admin')
  admin(): { ok: true } {
    return { ok: true };
  }
}

/** Match any other path, so odd request targets reach the guard (and are refused there). */
@Controller()
class CatchAllController {
  @Get('*rest')
  any(): { ok: true } {
    return { ok: true };
  }
}
@Controller()
class FastifyCatchAllController {
  @Get('*')
  any(): { ok: true } {
    return { ok: true };
  }
}

function moduleWith(loginRedirect: AuthModuleOptions['loginRedirect'], adapter: AdapterName = 'express'): object {
  @Module({
    imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })], loginRedirect })],
    controllers: [PagesController, adapter === 'express' ? CatchAllController : FastifyCatchAllController],
  })
  class HtmlModule {}
  return HtmlModule;
}

describe.each(ADAPTERS)('HTML clients are sent to the login page (%s)', (adapter) => {
  let t: TestApp;
  let sso: TestApp;
  beforeAll(async () => {
    [t, sso] = await Promise.all([
      startApp(adapter, { imports: [moduleWith({ url: '/login', param: 'next' }, adapter) as never] }),
      startApp(adapter, { imports: [moduleWith({ url: 'https://sso.example/login?app=reports', param: 'return_to' }, adapter) as never] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), sso.close()]);
  });

  it('a browser navigation without a login: 303 to /login?next=<path and query>, not cached, Vary: Accept', async () => {
    const res = await t.http.get('/dashboard?tab=2&q=a%20b').set('accept', BROWSER);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent('/dashboard?tab=2&q=a%20b')}`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.vary).toMatch(/accept/i);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('any 401: an expired or forged token, a form POST (303: the browser GETs the login page)', async () => {
    const forged = hs(claims(), 'another-secret-another-secret-another!!');
    const res = await t.http.get('/dashboard').set('accept', BROWSER).set('authorization', `Bearer ${forged}`);
    expect(res.status).toBe(303);
    const post = await t.http.post('/dashboard/settings').set('accept', BROWSER);
    expect(post.status).toBe(303);
    expect(post.headers.location).toBe(`/login?next=${encodeURIComponent('/dashboard/settings')}`);
  });

  it.each([
    ['no Accept', undefined],
    ['*/*', '*/*'],
    ['application/json', 'application/json'],
    ['JSON preferred to HTML', 'text/html;q=0.5, application/json'],
    ['HTML and JSON equal', 'application/json, text/html'],
    ['problem+json', 'application/problem+json, text/html;q=0.9'],
    ['text/* only', 'text/*'],
    ['HTML refused (q=0)', 'text/html;q=0, */*'],
    ['a bad quality', 'text/html;q=2'],
  ])('API clients keep the JSON 401 (%s)', async (_, accept) => {
    const request = t.http.get('/dashboard');
    const res = await (accept === undefined ? request : request.set('accept', accept));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'credentials_missing' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.headers.vary).toMatch(/accept/i);
  });

  it('HTML preferred by quality: redirected', async () => {
    const res = await t.http.get('/dashboard').set('accept', 'application/json;q=0.5, text/html');
    expect(res.status).toBe(303);
  });

  it('a logged-in browser lacking a permission gets the 403, not a login loop', async () => {
    const res = await t.http
      .get('/admin')
      .set('accept', BROWSER)
      .set('authorization', `Bearer ${hs(claims(), SECRET)}`);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('permission_denied');
    expect(res.headers.location).toBeUndefined();
  });

  it('a public page and an authenticated request are untouched', async () => {
    expect((await t.http.get('/login').set('accept', BROWSER)).status).toBe(200);
    expect(
      (
        await t.http
          .get('/dashboard')
          .set('accept', BROWSER)
          .set('authorization', `Bearer ${hs(claims(), SECRET)}`)
      ).status,
    ).toBe(200);
  });

  it('an absolute login URL keeps its own query; the parameter name is the one configured', async () => {
    const res = await sso.http.get('/dashboard?x=1').set('accept', BROWSER);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`https://sso.example/login?app=reports&return_to=${encodeURIComponent('/dashboard?x=1')}`);
  });

  it.each([
    ['//evil.example/x', '/x'],
    ['///evil.example/x', '/x'],
    ['/\\evil.example/x', '/x'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/dashboard?next=https://evil.example', '/dashboard?next=https://evil.example'],
    ['/a%0d%0aSet-Cookie:%20x=1', '/a%0d%0aSet-Cookie:%20x=1'],
  ])('no open redirect: a request for %s comes back as %s, encoded in one header line', async (target, path) => {
    const res = await rawRequest(t.url, target, ['Accept', BROWSER]);
    expect(res.status).toBe(303);
    expect(res.headers['set-cookie']).toBeUndefined();
    const location = res.headers.location!;
    expect(location.startsWith('/login?next=')).toBe(true);
    const next = new URL(location, 'http://app.example').searchParams.get('next')!;
    expect(next).toBe(path);
    // What a login page does with it stays on this site.
    expect(new URL(next, 'http://app.example').origin).toBe('http://app.example');
  });

  it('an absolute-form request target (GET http://evil.example/dashboard) comes back as its path only', async () => {
    const res = await rawRequest(t.url, 'http://evil.example/dashboard?y=2', ['Accept', BROWSER]);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent('/dashboard?y=2')}`);
  });

  it('a very long return path comes back as /', async () => {
    const res = await t.http.get(`/dashboard?q=${'a'.repeat(3000)}`).set('accept', BROWSER);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2F');
  });
});

describe('loginRedirect refusals at start-up', () => {
  it.each([
    [{ url: '//evil.example/login' }, /`loginRedirect.url` must be a path on this site/],
    [{ url: '/\\evil.example' }, /`loginRedirect.url`/],
    [{ url: 'http://sso.example/login' }, /`loginRedirect.url`/],
    [{ url: 'javascript:alert(1)' }, /`loginRedirect.url`/],
    [{ url: 'login' }, /`loginRedirect.url`/],
    [{ url: '/login#top' }, /`loginRedirect.url`/],
    [{ url: '/log in' }, /`loginRedirect.url`/],
    [{ url: '/login', param: 'next page' }, /`loginRedirect.param` must be a query parameter name/],
    [{ url: '/login', param: '' }, /`loginRedirect.param`/],
  ])('%j', async (loginRedirect, message) => {
    const error = await bootError('express', moduleWith(loginRedirect as never) as never);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(message);
  });
});

describe('prefersHtml', () => {
  it.each([
    [BROWSER, true],
    ['text/html', true],
    ['application/xhtml+xml', true],
    ['TEXT/HTML; charset=utf-8', true],
    ['*/*', false],
    ['application/json, text/plain, */*', false], // axios
    [['text/html', 'application/json'] as unknown as string, false],
    ['text/html;q=abc', false],
  ])('%j → %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});
