import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthEvents } from '../../src/index.js';
import { cookieName, registerSessions, sessionModule, SESSION_SECRET } from '../session/session-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { API_KEY, PASSWORD, SECRET, observedModule } from './observability-app.js';

/** Everything the app logs, whatever the level, with its parameters (as a log shipper would store them). */
class CaptureLogger implements LoggerService {
  readonly lines: string[] = [];
  private keep(level: string, message: unknown, params: unknown[]): void {
    this.lines.push([level, message, ...params].map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 6 }))).join(' '));
  }
  log(message: unknown, ...params: unknown[]): void {
    this.keep('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.keep('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.keep('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.keep('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.keep('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.keep('fatal', message, params);
  }
}

/** An app that logs every auth event, as an audit trail would: proves the events carry no credential either. */
function logEveryEvent(app: INestApplication): void {
  const audit = new Logger('Audit');
  app.get(AuthEvents).subscribe((event) => audit.log(JSON.stringify(event)));
}

const setCookies = (res: { headers: Record<string, unknown> }): string[] => {
  const header = res.headers['set-cookie'];
  return Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
};
const cookieValues = (res: { headers: Record<string, unknown> }): string[] =>
  setCookies(res).map((cookie) => decodeURIComponent(cookie.split(';')[0]!.split('=').slice(1).join('=')));

/**
 * Issue 18, item 3: a realistic run (logins, refreshes, reuse, logout, logout-all, refused and
 * forged tokens, API keys, cookies with and without CSRF, sessions) with every log line captured,
 * then every credential it used searched for in them: none may appear, whole or as a token's signature.
 */
describe.each(ADAPTERS)('no credential in any log line (%s)', (adapter) => {
  const logger = new CaptureLogger();
  const secrets = new Set<string>([SECRET, API_KEY, PASSWORD, SESSION_SECRET]);
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  const remember = (...values: Array<string | undefined>): void => {
    for (const value of values) {
      if (value === undefined || value.length < 8) continue;
      secrets.add(value);
      // A token's signature alone is as good as a leak of its integrity.
      const parts = value.split('.');
      if (parts.length === 3 && parts[2]!.length >= 16) secrets.add(parts[2]!);
    }
  };

  it('tokens, API keys and cookies: logged events and lines carry none of them', async () => {
    const t = await startApp(adapter, observedModule(), (app) => {
      app.useLogger(logger);
      logEveryEvent(app);
    });
    apps.push(t);
    const login = await t.http.post('/login').send({ username: 'ada', password: PASSWORD });
    expect(login.status).toBe(200);
    remember(login.body.access_token, login.body.refresh_token, ...cookieValues(login));
    const bearer = `Bearer ${login.body.access_token}`;
    expect((await t.http.get('/me').set('authorization', bearer)).status).toBe(200);
    expect((await t.http.post('/login').send({ username: 'ada', password: 'wrong password guess' })).status).toBe(500);
    remember('wrong password guess');

    const refreshed = await t.http.post('/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    remember(refreshed.body.access_token, refreshed.body.refresh_token);
    const reuse = await t.http.post('/refresh').send({ refresh_token: login.body.refresh_token });
    expect(reuse.body.code).toBe('token_reused');

    const forged = hs(claims({ sub: 'ada', is_superuser: true }), 'an-attacker-secret-of-32-bytes!!');
    const expired = hs(claims({ sub: 'ada', iat: 1000, exp: 2000 }), SECRET);
    remember(forged, expired, 'wrong-api-key-0123456789');
    for (const [header, value, code] of [
      ['authorization', `Bearer ${forged}`, 'token_invalid'],
      ['authorization', `Bearer ${expired}`, 'token_expired'],
      ['authorization', `Bearer ${login.body.access_token}x`, 'token_invalid'],
      ['x-api-key', 'wrong-api-key-0123456789', 'api_key_invalid'],
    ] as const) {
      expect((await t.http.get('/me').set(header, value)).body.code).toBe(code);
    }
    expect((await t.http.get('/admin').set('x-api-key', API_KEY)).status).toBe(200);
    // The reuse revoked the login: the pair the refresh issued is refused too.
    expect((await t.http.get('/me').set('authorization', `Bearer ${refreshed.body.access_token}`)).body.code).toBe('token_revoked');

    // Cookies: the access cookie authenticates a GET; an unsafe request without the CSRF header is refused.
    const second = await t.http.post('/login').send({ username: 'bob', password: PASSWORD });
    remember(second.body.access_token, second.body.refresh_token, ...cookieValues(second));
    const cookies = setCookies(second)
      .map((cookie) => cookie.split(';')[0]!)
      .join('; ');
    expect((await t.http.get('/me').set('cookie', cookies)).status).toBe(200);
    expect((await t.http.post('/logout-all').set('cookie', cookies)).body.code).toBe('csrf_failed');
    const csrf = cookieValues(second).find((value) => !value.includes('.') && value.length > 0)!;
    expect((await t.http.post('/logout-all').set('cookie', cookies).set('x-csrf-token', csrf)).status).toBe(200);
    const third = await t.http.post('/login').send({ username: 'cy', password: PASSWORD });
    remember(third.body.access_token, third.body.refresh_token, ...cookieValues(third));
    expect((await t.http.get('/admin').set('authorization', `Bearer ${third.body.access_token}`)).status).toBe(403);
    expect((await t.http.post('/logout').set('authorization', `Bearer ${third.body.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me').set('authorization', `Bearer ${third.body.access_token}`)).body.code).toBe('token_revoked');
  });

  it('sessions: the session cookie and CSRF token appear in no line', async () => {
    const t = await startApp(adapter, { imports: [sessionModule([])] }, async (app) => {
      await registerSessions(adapter, app);
      app.useLogger(logger);
      logEveryEvent(app);
    });
    apps.push(t);
    const login = await t.http.post('/login').send({ id: '1' });
    expect(login.status).toBe(200);
    remember(login.body.csrfToken, ...cookieValues(login));
    const session = setCookies(login)
      .find((cookie) => cookie.startsWith(`${cookieName(adapter)}=`))!
      .split(';')[0]!;
    remember(session.split('=').slice(1).join('='));
    expect((await t.http.get('/me').set('cookie', session)).status).toBe(200);
    expect((await t.http.post('/logout').set('cookie', session)).body.code).toBe('csrf_failed');
    expect((await t.http.get('/me').set('cookie', `${cookieName(adapter)}=forged-session-id-0000`)).status).toBe(401);
    remember('forged-session-id-0000');
    expect((await t.http.post('/logout').set('cookie', session).set('x-csrf-token', login.body.csrfToken)).status).toBe(200);
  });

  it('scans every captured line for every credential used', () => {
    // The scan saw a real run: the audit trail of every event, and the module's own lines at their levels.
    expect(logger.lines.length).toBeGreaterThan(20);
    expect(logger.lines.some((line) => line.startsWith('warn') && line.includes('Refresh token reused'))).toBe(true);
    expect(logger.lines.some((line) => line.startsWith('log') && line.includes('Every token of user bob revoked'))).toBe(true);
    expect(logger.lines.some((line) => line.includes('"type":"auth.refused"') && line.includes('"code":"csrf_failed"'))).toBe(true);
    expect(logger.lines.some((line) => line.includes('"type":"authenticated"') && line.includes('"backend":"session"'))).toBe(true);
    expect(secrets.size).toBeGreaterThan(15);
    const leaks = [...secrets].flatMap((secret) =>
      logger.lines.filter((line) => line.includes(secret)).map((line) => `${secret.slice(0, 12)}… in: ${line.slice(0, 160)}`),
    );
    expect(leaks).toEqual([]);
  });
});
