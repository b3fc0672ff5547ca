import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { rawRequest } from '../utils/raw-request.js';
import { claims, hs, now } from '../utils/tokens.js';
import { coreModule, OTHER_SECRET, SECRET, type LoaderLog } from './core-app.js';

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe.each(ADAPTERS)('core on %s', (adapter) => {
  let t: TestApp;
  const log: LoaderLog = { calls: [] };
  const token = hs(claims({ permissions: ['items:read'] }), SECRET);

  beforeAll(async () => {
    t = await startApp(adapter, { imports: [coreModule(log)] });
  });
  afterAll(() => t.close());
  beforeEach(() => {
    log.calls.length = 0;
  });

  describe('secure by default', () => {
    it('answers 401 credentials_missing with a Bearer challenge when no credential is sent', async () => {
      const res = await t.http.get('/private');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: expect.any(String), code: 'credentials_missing' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('serves @Public() routes without a credential, and ignores a bad one there', async () => {
      expect((await t.http.get('/public')).body).toEqual({ ok: true });
      expect((await t.http.get('/public').set(bearer('garbage'))).status).toBe(200);
    });

    it('accepts a valid token and fills request.context from its claims', async () => {
      const res = await t.http.get('/private').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ userId: '42', isStaff: false, isSuperuser: false, authBackend: 'jwt', permissions: ['items:read'] });
      expect(res.body.claims.sub).toBe('42');
      expect(log.calls).toEqual([]);
    });

    it('matches the scheme case-insensitively', async () => {
      expect((await t.http.get('/private').set('authorization', `bEaReR ${token}`)).status).toBe(200);
    });
  });

  describe('lazy user', () => {
    it('never calls the loader when the handler does not ask for the user', async () => {
      expect((await t.http.get('/no-user').set(bearer(token))).status).toBe(200);
      expect(log.calls).toEqual([]);
    });

    it('calls the loader exactly once however often the user is read', async () => {
      const res = await t.http.get('/me').set(bearer(token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { id: '42', name: 'user-42' }, again: { id: '42', name: 'user-42' } });
      expect(log.calls).toEqual(['42']);
    });

    it('gives services the context and user through AuthContextService (AsyncLocalStorage)', async () => {
      const res = await t.http.get('/service').set(bearer(token));
      expect(res.body).toEqual({ userId: '42', user: { id: '42', name: 'user-42' } });
      expect(log.calls).toEqual(['42']);
    });
  });

  describe('resolution: method over class over global', () => {
    it('AllowAny makes authentication optional but still refuses a bad credential', async () => {
      expect((await t.http.get('/optional')).body).toEqual({ userId: null });
      expect((await t.http.get('/optional').set(bearer(token))).body).toEqual({ userId: '42' });
      const bad = await t.http.get('/optional').set(bearer(hs(claims(), OTHER_SECRET)));
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('token_invalid');
    });

    it('a method @Auth() cancels a class @Public() and runs the global backends with its guards', async () => {
      expect((await t.http.get('/open')).status).toBe(200);
      const anonymous = await t.http.get('/open/admin');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('credentials_missing');
      expect((await t.http.get('/open/admin').set(bearer(token))).body.code).toBe('permission_denied');
      expect((await t.http.get('/open/admin').set(bearer(hs(claims({ is_superuser: true }), SECRET)))).status).toBe(200);
    });

    it('a method @Public() wins over a class @Auth(), and a method @Auth() over the class guards', async () => {
      expect((await t.http.get('/admin-area/health')).status).toBe(200);
      expect((await t.http.get('/admin-area').set(bearer(token))).status).toBe(403);
      expect((await t.http.get('/admin-area/anyone').set(bearer(token))).status).toBe(200);
    });

    it('a class @Auth({ authentication }) replaces the global backends', async () => {
      expect((await t.http.get('/partner').set(bearer(token))).body.code).toBe('token_invalid');
      const partner = hs(claims({ sub: 'p1' }), OTHER_SECRET, { alg: 'HS512' }, 'sha512');
      expect((await t.http.get('/partner').set(bearer(partner))).body).toEqual({ userId: 'p1' });
    });
  });

  describe('guards', () => {
    it('IsAdmin and IsStaff answer 403 permission_denied without a Bearer challenge', async () => {
      const res = await t.http.get('/admin').set(bearer(token));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_denied');
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect((await t.http.get('/staff').set(bearer(hs(claims({ is_staff: true }), SECRET)))).status).toBe(200);
      expect((await t.http.get('/admin').set(bearer(hs(claims({ is_superuser: true }), SECRET)))).status).toBe(200);
    });

    it('@Permissions requires every permission; HasAnyPermission one of them', async () => {
      expect((await t.http.get('/items').set(bearer(token))).status).toBe(200);
      expect((await t.http.post('/items').set(bearer(token))).body.code).toBe('permission_denied');
      const both = hs(claims({ permissions: ['items:read', 'items:write'] }), SECRET);
      expect((await t.http.post('/items').set(bearer(both))).status).toBe(201);
      expect((await t.http.get('/any').set(bearer(token))).status).toBe(200);
      expect((await t.http.get('/any').set(bearer(hs(claims(), SECRET)))).status).toBe(403);
    });
  });

  describe('TokenService', () => {
    it('issues an access token with the documented claims that the JWT backend accepts', async () => {
      const login = await t.http.post('/login');
      const accessToken = login.body.access_token as string;
      const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(payload).toMatchObject({
        sub: '7',
        username: 'ada',
        is_staff: false,
        is_superuser: false,
        permissions: ['items:read'],
        type: 'access',
        fresh: true,
      });
      expect(payload.exp).toBe((payload.iat as number) + 3600);
      expect(typeof payload.jti).toBe('string');
      expect((await t.http.get('/private').set(bearer(accessToken))).body.userId).toBe('7');
    });
  });

  describe('errors (RFC 6750) and bad input', () => {
    const cases: Array<[string, string, string]> = [
      ['expired token', `Bearer ${hs(claims({ exp: now() - 10 }), SECRET)}`, 'token_expired'],
      ['exp equal to now', `Bearer ${hs(claims({ exp: now() }), SECRET)}`, 'token_expired'],
      ['not yet valid', `Bearer ${hs(claims({ nbf: now() + 600 }), SECRET)}`, 'token_not_yet_valid'],
      ['wrong secret', `Bearer ${hs(claims(), OTHER_SECRET)}`, 'token_invalid'],
      ['alg none', `Bearer ${b64h({ alg: 'none' })}.${b64h(claims())}.`, 'token_invalid'],
      ['alg NoNe', `Bearer ${b64h({ alg: 'NoNe' })}.${b64h(claims())}.`, 'token_invalid'],
      ['alg not listed', `Bearer ${hs(claims(), SECRET, { alg: 'HS512' }, 'sha512')}`, 'token_invalid'],
      ['no exp', `Bearer ${hs({ sub: '1' }, SECRET)}`, 'token_claims_invalid'],
      ['exp is a string', `Bearer ${hs(claims({ exp: String(now() + 60) }), SECRET)}`, 'token_claims_invalid'],
      ['payload is an array', `Bearer ${hs([1, 2], SECRET)}`, 'token_malformed'],
      ['payload is a string', `Bearer ${hs('"text"', SECRET)}`, 'token_malformed'],
      ['two segments', 'Bearer abc.def', 'token_malformed'],
      ['four segments', 'Bearer a.b.c.d', 'token_malformed'],
      ['non-base64url characters', 'Bearer a$b.c*d.e+f', 'token_malformed'],
      ['header not JSON', `Bearer ${Buffer.from('nope').toString('base64url')}.${b64h(claims())}.sig`, 'token_malformed'],
      ['unknown crit header', `Bearer ${hs(claims(), SECRET, { alg: 'HS256', crit: ['exp2'], exp2: 1 })}`, 'token_invalid'],
      ['empty token after scheme', 'Bearer ', 'token_malformed'],
      ['doubled scheme', `Bearer Bearer ${hs(claims(), SECRET)}`, 'token_malformed'],
      ['tab after scheme', `Bearer\t${hs(claims(), SECRET)}`, 'token_malformed'],
      ['a refresh token as access token', `Bearer ${hs(claims({ type: 'refresh' }), SECRET)}`, 'token_claims_invalid'],
      ['8 KiB + 1 token', `Bearer ${'a'.repeat(8193)}`, 'token_malformed'],
    ];

    it.each(cases)('%s → 401 $2', async (_name, header, code) => {
      const res = await t.http.get('/private').set('authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(code);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    });

    it('a 1 MB header is refused without a 500', async () => {
      const res = await rawRequest(t.url, '/private', ['Authorization', `Bearer ${'a'.repeat(1024 * 1024)}`]);
      expect([401, 431]).toContain(res.status);
    });

    it('two Authorization headers → 400 invalid_request', async () => {
      const res = await rawRequest(t.url, '/private', ['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`]);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_request');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api", error="invalid_request"');
    });

    it("another scheme is not this backend's credential: 401 credentials_missing", async () => {
      const res = await t.http.get('/private').set('authorization', 'Basic dXNlcjpwYXNz');
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('credentials_missing');
    });
  });
});

function b64h(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
