import { describe, expect, it } from 'vitest';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { resolveCookieSettings } from './cookie-settings.js';
import {
  clearCsrfCookie,
  clearLoginCookies,
  responseOf,
  writeCsrfCookie,
  writeLoginCookies,
  type CookieResponse,
} from './cookie-writer.js';

const DEFAULTS = resolveCookieSettings(undefined);

/** The Express response (`append`) and the Fastify reply (`header`, which appends for set-cookie). */
const ADAPTERS = {
  express: (lines: string[]): CookieResponse => ({ append: (_name: string, value: string) => lines.push(value) }),
  fastify: (lines: string[]): CookieResponse => ({ header: (_name: string, value: string) => lines.push(value) }),
};

describe.each(Object.entries(ADAPTERS))('cookie writing (%s)', (_adapter, make) => {
  it('a login: HttpOnly access and refresh cookies with their lifetimes, a readable CSRF cookie', () => {
    const lines: string[] = [];
    writeLoginCookies(make(lines), DEFAULTS, { access: 'A', refresh: 'R', csrf: 'C', accessTtl: 900, refreshTtl: 86_400 });
    expect(lines).toEqual([
      'access_token=A; Max-Age=900; Path=/; HttpOnly; Secure; SameSite=Lax',
      'refresh_token=R; Max-Age=86400; Path=/auth/refresh; HttpOnly; Secure; SameSite=Lax',
      'csrf_token=C; Max-Age=86400; Path=/; Secure; SameSite=Lax',
    ]);
  });

  it('a logout: the three expire, on the same paths and domain', () => {
    const lines: string[] = [];
    const settings = resolveCookieSettings({ domain: 'example.com', secure: false, sameSite: 'strict', refreshPath: '/r' });
    clearLoginCookies(make(lines), settings);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^access_token=; Max-Age=0; Domain=example.com; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/,
    );
    expect(lines[1]).toMatch(/^refresh_token=; Max-Age=0; Domain=example.com; Path=\/r; .*HttpOnly/);
    expect(lines[2]).toMatch(/^csrf_token=; Max-Age=0; Domain=example.com; Path=\/; /);
    expect(lines[2]).not.toMatch(/HttpOnly/);
  });

  it('the CSRF cookie alone: custom name, expiring with the session, or a browser-session cookie', () => {
    const lines: string[] = [];
    const settings = resolveCookieSettings({ csrf: 'xsrf' });
    writeCsrfCookie(make(lines), settings, 'C', { expires: new Date(Date.UTC(2030, 0, 1)) });
    writeCsrfCookie(make(lines), settings, 'D');
    clearCsrfCookie(make(lines), settings);
    expect(lines).toEqual([
      'xsrf=C; Path=/; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Secure; SameSite=Lax',
      'xsrf=D; Path=/; Secure; SameSite=Lax',
      'xsrf=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Lax',
    ]);
  });
});

describe('responseOf', () => {
  const request = (res?: unknown): AuthRequest =>
    ({ headers: {}, method: 'POST', url: '/', ...(res === undefined ? {} : { res }) }) as AuthRequest;
  const reply: CookieResponse = { header: () => undefined };

  it('takes the response given, else Express’ request.res', () => {
    expect(responseOf(request(), reply, 'loginSession(request, user, { response })')).toBe(reply);
    const res = { append: () => undefined };
    expect(responseOf(request(res), undefined, 'loginSession(request, user, { response })')).toBe(res);
  });

  it('without one (Fastify), or with something else: a TypeError that says what to pass', () => {
    expect(() => responseOf(request(), undefined, 'logoutSession(request, { response })')).toThrow(
      /^logoutSession sets the CSRF cookie and needs the response: call logoutSession\(request, \{ response \}\)/,
    );
    expect(() => responseOf(request(), {}, 'loginSession(request, user, { response })')).toThrow(TypeError);
    expect(() => responseOf(request({}), undefined, 'loginSession(request, user, { response })')).toThrow(
      /@Res\(\{ passthrough: true \}\)/,
    );
  });
});

describe('resolveCookieSettings', () => {
  it('applies every default once', () => {
    expect(DEFAULTS).toEqual({
      secure: true,
      sameSite: 'lax',
      domain: undefined,
      access: 'access_token',
      refresh: 'refresh_token',
      csrf: 'csrf_token',
      csrfHeader: 'x-csrf-token',
      refreshPath: '/auth/refresh',
    });
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    expect(resolveCookieSettings({ csrfHeader: 'X-XSRF-Token' }).csrfHeader).toBe('x-xsrf-token');
  });

  it.each([
    [{ access: 'access token' }, /cookies\.access/],
    [{ csrf: 'csrf;x' }, /cookies\.csrf/],
    [{ csrfHeader: '' }, /cookies\.csrfHeader/],
    [{ sameSite: 'sometimes' as 'lax' }, /sameSite/],
    [{ sameSite: 'none' as const, secure: false }, /sameSite 'none' needs secure: true/],
    [{ refreshPath: 'auth/refresh' }, /refreshPath/],
  ])('refuses %j at start-up', (options, message) => {
    expect(() => resolveCookieSettings(options)).toThrow(message);
  });
});
