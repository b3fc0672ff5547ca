import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { cookieName, registerSessions, sessionModule } from './session-app.js';

const FORM = 'application/x-www-form-urlencoded';
const SECRET = 'session-csrf-tokens-secret-of-32-bytes-or-more';

interface Login {
  /** `name=value` of the session cookie, as a browser sends it back. */
  session: string;
  /** The `csrf_token` cookie's value, which the page echoes. */
  csrf: string;
  /** The whole `Set-Cookie` line of the CSRF cookie. */
  csrfLine: string;
  /** What `loginSession` resolved to (the route returns it). */
  returned: string;
}

function setCookies(header: string[] | string | undefined): string[] {
  return Array.isArray(header) ? header : header === undefined ? [] : [header];
}

/** The last real (not cleared) `Set-Cookie` line of `name`. */
function line(header: string[] | string | undefined, name: string): string {
  const found = setCookies(header)
    .filter((cookie) => cookie.startsWith(`${name}=`) && !cookie.startsWith(`${name}=;`))
    .at(-1);
  if (found === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(header)}`);
  return found;
}

describe.each(ADAPTERS)('CSRF for the session cookie (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [sessionModule([])] }, (app) => registerSessions(adapter, app));
  });
  afterAll(() => t.close());

  const login = async (id = '1', path = '/login'): Promise<Login> => {
    const res = await t.http.post(path).send({ id });
    expect(res.status).toBe(200);
    const csrfLine = line(res.headers['set-cookie'], 'csrf_token');
    return {
      session: line(res.headers['set-cookie'], cookieName(adapter)).split(';')[0]!,
      csrf: csrfLine.split(';')[0]!.slice('csrf_token='.length),
      csrfLine,
      returned: res.body.csrfToken,
    };
  };

  it('a cross-site form POST carrying only the session cookie: 403 csrf_failed, the action does not run', async () => {
    const { session } = await login();
    const res = await t.http.post('/notes').set('content-type', FORM).set('cookie', session).send('title=pwned');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
    expect(res.body.saved).toBeUndefined();
  });

  it('with the csrf_token cookie echoed in X-CSRF-Token: allowed', async () => {
    const { session, csrf, returned } = await login();
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(returned).toBe(csrf);
    const res = await t.http.post('/notes').set('content-type', FORM).set('cookie', session).set('x-csrf-token', csrf).send('title=ok');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ saved: true, by: '1' });
  });

  it('safe methods need no CSRF header', async () => {
    const { session } = await login();
    expect((await t.http.get('/me').set('cookie', session)).status).toBe(200);
    expect((await t.http.head('/me').set('cookie', session)).status).toBe(200);
  });

  it("another login's CSRF token, an empty one, one byte off, or the token in a cookie only: 403 csrf_failed", async () => {
    const mine = await login('1');
    const other = await login('2');
    const flipped = `${mine.csrf.slice(0, -1)}${mine.csrf.endsWith('A') ? 'B' : 'A'}`;
    for (const header of [other.csrf, '', flipped]) {
      const res = await t.http.post('/notes').set('cookie', mine.session).set('x-csrf-token', header);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('csrf_failed');
    }
    const cookieOnly = await t.http.post('/notes').set('cookie', `${mine.session}; csrf_token=${mine.csrf}`);
    expect(cookieOnly.body.code).toBe('csrf_failed');
  });

  it('every unsafe method is checked (POST, PUT, PATCH, DELETE); OPTIONS is not', async () => {
    const { session, csrf } = await login();
    for (const method of ['post', 'put', 'patch', 'delete'] as const) {
      const res = await t.http[method]('/items').set('cookie', session);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('csrf_failed');
      const ok = await t.http[method]('/items').set('cookie', session).set('x-csrf-token', csrf);
      expect(ok.status).toBe(200);
      expect(ok.body.method).toBe(method.toUpperCase());
    }
    expect((await t.http.options('/items').set('cookie', session)).status).toBe(200);
  });

  it('a new login gets a new token; the one before it stops working', async () => {
    const first = await login('1');
    const again = await t.http.post('/login').set('cookie', first.session).send({ id: '1' });
    const session = line(again.headers['set-cookie'], cookieName(adapter)).split(';')[0]!;
    const csrf = line(again.headers['set-cookie'], 'csrf_token').split(';')[0]!.slice('csrf_token='.length);
    expect(csrf).not.toBe(first.csrf);
    expect((await t.http.post('/notes').set('cookie', session).set('x-csrf-token', first.csrf)).body.code).toBe('csrf_failed');
    expect((await t.http.post('/notes').set('cookie', session).set('x-csrf-token', csrf)).status).toBe(201);
  });

  it('the CSRF cookie: readable by the page, path /, SameSite=Lax, Secure (the defaults without tokens)', async () => {
    const { csrfLine } = await login();
    expect(csrfLine).not.toMatch(/HttpOnly/i);
    expect(csrfLine).toMatch(/Path=\//);
    expect(csrfLine).toMatch(/SameSite=Lax/);
    expect(csrfLine).toMatch(/Secure/);
  });

  it('logoutSession expires the CSRF cookie; the old session and token no longer work', async () => {
    const { session, csrf } = await login();
    const out = await t.http.post('/logout').set('cookie', session).set('x-csrf-token', csrf);
    expect(out.status).toBe(200);
    expect(setCookies(out.headers['set-cookie']).find((c) => c.startsWith('csrf_token=;'))).toMatch(/Max-Age=0/);
    const after = await t.http.post('/notes').set('cookie', session).set('x-csrf-token', csrf);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('credentials_missing');
  });

  it('a session written without loginSession has no CSRF token: reads pass, every unsafe request is refused', async () => {
    const res = await t.http.post('/login-by-hand').send({ id: '1' });
    const session = line(res.headers['set-cookie'], cookieName(adapter)).split(';')[0]!;
    expect((await t.http.get('/me').set('cookie', session)).status).toBe(200);
    const post = await t.http.post('/notes').set('cookie', session).set('x-csrf-token', 'anything');
    expect(post.status).toBe(403);
    expect(post.body.code).toBe('csrf_failed');
  });

  it('loginSession without the response: Express takes request.res; Fastify gets a TypeError that says what to pass', async () => {
    const res = await t.http.post('/login-without-response').send({ id: '1' });
    if (adapter === 'express') {
      expect(res.body).toEqual({ ok: true });
      expect(line(res.headers['set-cookie'], 'csrf_token')).toMatch(/^csrf_token=[A-Za-z0-9_-]{43};/);
    } else {
      expect(res.body.ok).toBe(false);
      expect(res.body.error).toMatch(/^TypeError: loginSession .*loginSession\(request, user, \{ response \}\)/);
      // Refused before the session changed: no session cookie was issued.
      expect(setCookies(res.headers['set-cookie']).some((c) => c.startsWith(`${cookieName(adapter)}=`))).toBe(false);
    }
  });
});

describe.each(ADAPTERS)("the session's CSRF cookie follows tokens.cookies (%s)", (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    const tokens = { secret: SECRET, cookies: { secure: false, sameSite: 'strict', csrf: 'xsrf', csrfHeader: 'X-XSRF' } } as const;
    t = await startApp(adapter, { imports: [sessionModule([], { tokens })] }, (app) => registerSessions(adapter, app));
  });
  afterAll(() => t.close());

  it('its own cookie name, attributes and header name', async () => {
    const res = await t.http.post('/login').send({ id: '1' });
    const session = line(res.headers['set-cookie'], cookieName(adapter)).split(';')[0]!;
    const xsrf = line(res.headers['set-cookie'], 'xsrf');
    expect(xsrf).toMatch(/SameSite=Strict/);
    expect(xsrf).not.toMatch(/Secure/);
    expect(setCookies(res.headers['set-cookie']).some((c) => c.startsWith('csrf_token='))).toBe(false);
    const token = xsrf.split(';')[0]!.slice('xsrf='.length);
    expect((await t.http.post('/notes').set('cookie', session).set('x-csrf-token', token)).body.code).toBe('csrf_failed');
    expect((await t.http.post('/notes').set('cookie', session).set('x-xsrf', token)).status).toBe(201);
  });
});
