import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRevocation, TokenService, type RevocationStore } from '../../src/index.js';
import { RedisRevocation } from '../../src/redis/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { useRedis } from '../utils/redis.js';
import { hs } from '../utils/tokens.js';
import { identityModule, SECRET, Users } from './identity-app.js';

type StoreName = 'memory' | 'redis';
const cases = ADAPTERS.flatMap((adapter) => (['memory', 'redis'] as StoreName[]).map((store) => [adapter, store] as const));

interface Pair {
  access_token: string;
  refresh_token: string;
}
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
/** The same token, validly signed, but expired: what a client holds once its access token's lifetime has passed. */
const expired = (token: string): string => hs({ ...claimsOf(token), exp: Math.floor(Date.now() / 1000) - 10 }, SECRET);
const cookiesOf = (res: { headers: Record<string, unknown> }): string[] => (res.headers['set-cookie'] as string[] | undefined) ?? [];
const cookieValue = (cookies: string[], name: string): string =>
  cookies
    .find((cookie) => cookie.startsWith(`${name}=`))!
    .split(';')[0]!
    .slice(name.length + 1);

describe.each(cases)('identity stays current on %s with the %s store', (adapter, storeName) => {
  let t: TestApp;
  let other: TestApp | undefined;
  let plain: TestApp;
  let short: TestApp;
  let redis: Awaited<ReturnType<typeof useRedis>> | undefined;
  const users = new Users();
  beforeAll(async () => {
    let store: () => RevocationStore = () => new InMemoryRevocation();
    if (storeName === 'redis') {
      const r = await useRedis();
      redis = r;
      const prefix = `identity-${adapter}-${Date.now()}:`;
      store = () => new RedisRevocation({ url: r.url, keyPrefix: prefix });
    }
    t = await startApp(adapter, { imports: [identityModule(store, { users })] });
    // A second instance sharing the Redis store: logout-all and logins must agree across instances.
    if (storeName === 'redis') other = await startApp(adapter, { imports: [identityModule(store, { users })] });
    plain = await startApp(adapter, { imports: [identityModule(() => new InMemoryRevocation())] });
    short = await startApp(adapter, { imports: [identityModule(store, { users, maxSessionAge: 2 })] });
  });
  afterAll(async () => {
    await Promise.all([t.close(), other?.close(), plain.close(), short.close()]);
    await redis?.close();
  });

  const login = async (app: TestApp, id: string, extraClaims?: Record<string, unknown>): Promise<Pair> => {
    const res = await app.http.post('/auth/login').send({ id, extraClaims });
    expect(res.status).toBe(200);
    return res.body as Pair;
  };
  const get = (app: TestApp, path: string, token: string) => app.http.get(path).set('authorization', `Bearer ${token}`);
  const refresh = (app: TestApp, token: string) => app.http.post('/auth/refresh').send({ refresh_token: token });

  describe('refresh reads the user again', () => {
    it('a superuser demoted between login and refresh gets IsAdmin-less tokens with their current fields', async () => {
      users.byId.set('10', { id: '10', username: 'root', isStaff: true, isSuperuser: true, permissions: ['reports:read'] });
      const pair = await login(t, '10');
      // The login pair was built from what the login handler gave (no flags): the loader's user is only read on refresh.
      users.byId.set('10', { id: '10', username: 'root', isStaff: true, isSuperuser: true, permissions: ['reports:read'] });
      const promoted = (await refresh(t, pair.refresh_token)).body as Pair;
      expect((await get(t, '/auth/admin', promoted.access_token)).status).toBe(200);
      users.byId.set('10', { id: '10', username: 'demoted', isStaff: false, isSuperuser: false, permissions: [] });
      const res = await refresh(t, promoted.refresh_token);
      expect(res.status).toBe(200);
      const admin = await get(t, '/auth/admin', res.body.access_token);
      expect(admin.status).toBe(403);
      expect(admin.body.code).toBe('permission_denied');
      expect((await get(t, '/auth/reports', res.body.access_token)).body.code).toBe('permission_denied');
      expect(claimsOf(res.body.access_token)).toMatchObject({
        sub: '10',
        username: 'demoted',
        is_staff: false,
        is_superuser: false,
        permissions: [],
      });
    });

    it('a user disabled or deleted between login and refresh: 401 user_inactive, and the whole login is revoked', async () => {
      users.byId.set('11', { id: '11', isSuperuser: true });
      const pair = await login(t, '11');
      const next = (await refresh(t, pair.refresh_token)).body as Pair;
      users.byId.set('11', null);
      const res = await refresh(t, next.refresh_token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('user_inactive');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
      users.byId.set('11', { id: '11', isSuperuser: true });
      // Restored or not, the login is over: its access token and its refresh token are refused.
      expect((await get(t, '/auth/me', next.access_token)).body.code).toBe('token_revoked');
      expect((await refresh(t, next.refresh_token)).body.code).toBe('token_revoked');
      users.byId.delete('12');
      const deleted = await login(t, '12');
      const gone = await refresh(t, deleted.refresh_token);
      expect(gone.status).toBe(401);
      expect(gone.body.code).toBe('user_inactive');
    });

    it("the login's extraClaims survive every refresh", async () => {
      users.byId.set('13', { id: '13' });
      const pair = await login(t, '13', { tenant: 'acme', scopes: ['a', 'b'] });
      expect(claimsOf(pair.access_token)).toMatchObject({ tenant: 'acme', scopes: ['a', 'b'] });
      const once = (await refresh(t, pair.refresh_token)).body as Pair;
      const twice = (await refresh(t, once.refresh_token)).body as Pair;
      expect((await get(t, '/auth/me', twice.access_token)).body.claims).toMatchObject({
        tenant: 'acme',
        scopes: ['a', 'b'],
        fresh: false,
      });
    });

    it('extraClaims naming a reserved claim: TypeError at the call (no token)', async () => {
      const tokens = t.app.get(TokenService);
      for (const name of [
        'sub',
        'username',
        'is_staff',
        'is_superuser',
        'permissions',
        'iat',
        'exp',
        'jti',
        'type',
        'fresh',
        'iss',
        'aud',
        'fam',
        'auth_time',
        'iat_ms',
        'ext',
      ]) {
        expect(() => tokens.createTokenPair({ id: '1' }, { extraClaims: { [name]: 'x' } }), name).toThrow(TypeError);
        expect(() => tokens.createAccessToken({ id: '1' }, { extraClaims: { [name]: 'x' } }), name).toThrow(/cannot set "/);
      }
      const res = await t.http.post('/auth/login').send({ id: '1', extraClaims: { permissions: ['admin'] } });
      expect(res.status).toBe(500);
      expect(res.body.access_token).toBeUndefined();
    });

    it('without a userLoader the refresh copies the claims of the refresh token', async () => {
      const pair = await login(plain, '14', { tenant: 't' });
      const res = await refresh(plain, pair.refresh_token);
      expect(res.status).toBe(200);
      expect(claimsOf(res.body.access_token)).toMatchObject({ sub: '14', username: 'user-14', tenant: 't', fresh: false });
    });

    it('maxSessionAge: no refresh extends a login past it; a refresh after it is 401 token_expired', async () => {
      users.byId.set('15', { id: '15' });
      const pair = await login(short, '15');
      const first = claimsOf(pair.refresh_token);
      expect(first.exp).toBe((first.auth_time as number) + 2);
      const next = (await refresh(short, pair.refresh_token)).body as Pair;
      const claims = claimsOf(next.access_token);
      expect(claims.auth_time).toBe(first.auth_time);
      expect(claims.exp).toBeLessThanOrEqual((first.auth_time as number) + 2);
      expect(claimsOf(next.refresh_token).exp).toBe((first.auth_time as number) + 2);
      await new Promise((resolve) => setTimeout(resolve, ((first.auth_time as number) + 2) * 1000 - Date.now() + 50));
      const late = await refresh(short, next.refresh_token);
      expect(late.status).toBe(401);
      expect(late.body.code).toBe('token_expired');
    });
  });

  describe('logout everywhere', () => {
    it('login → logout-all → login → GET /me works at once, in the same second, 3 times out of 3, on every instance', async () => {
      users.byId.set('20', { id: '20' });
      for (let round = 0; round < 3; round++) {
        const before = await login(t, '20');
        const res = await t.http.post('/auth/logout-all').set('authorization', `Bearer ${before.access_token}`).send({});
        expect(res.status).toBe(200);
        const after = await login(t, '20');
        expect((await get(t, '/auth/me', after.access_token)).status).toBe(200);
        expect((await get(t, '/auth/me', before.access_token)).body.code).toBe('token_revoked');
        expect((await refresh(t, before.refresh_token)).body.code).toBe('token_revoked');
        expect((await refresh(t, after.refresh_token)).status).toBe(200);
        if (other !== undefined) {
          const elsewhere = await login(other, '20');
          expect((await get(t, '/auth/me', elsewhere.access_token)).status).toBe(200);
          expect((await get(other, '/auth/me', elsewhere.access_token)).status).toBe(200);
          expect((await get(other, '/auth/me', before.access_token)).body.code).toBe('token_revoked');
        }
      }
    });

    it('logout-all with except ends every other login, keeps this one (and its refreshes)', async () => {
      users.byId.set('21', { id: '21' });
      const phone = await login(t, '21');
      const laptop = await login(t, '21');
      const phoneNext = (await refresh(t, phone.refresh_token)).body as Pair;
      const res = await t.http.post('/auth/logout-all').set('authorization', `Bearer ${laptop.access_token}`).send({ others: true });
      expect(res.status).toBe(200);
      expect((await get(t, '/auth/me', laptop.access_token)).status).toBe(200);
      expect((await get(t, '/auth/me', phoneNext.access_token)).body.code).toBe('token_revoked');
      expect((await refresh(t, phoneNext.refresh_token)).body.code).toBe('token_revoked');
      const kept = await refresh(t, laptop.refresh_token);
      expect(kept.status).toBe(200);
      expect((await get(t, '/auth/me', kept.body.access_token)).status).toBe(200);
      // A later logout-all that spares nobody ends it too.
      await t.http.post('/auth/logout-all').set('authorization', `Bearer ${kept.body.access_token}`).send({});
      expect((await get(t, '/auth/me', kept.body.access_token)).body.code).toBe('token_revoked');
    });
  });

  describe('logout ends the login whatever its transport', () => {
    it('bearer: an expired access token still ends its login; twice is fine; the refresh token is refused', async () => {
      users.byId.set('30', { id: '30' });
      const pair = await login(t, '30');
      const old = expired(pair.access_token);
      expect((await get(t, '/auth/me', old)).body.code).toBe('token_expired');
      for (let i = 0; i < 2; i++) {
        const res = await t.http.post('/auth/logout').set('authorization', `Bearer ${old}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ended: true });
      }
      expect((await refresh(t, pair.refresh_token)).body.code).toBe('token_revoked');
      expect((await get(t, '/auth/me', pair.access_token)).body.code).toBe('token_revoked');
    });

    it('an anonymous or forged logout ends nothing', async () => {
      users.byId.set('31', { id: '31' });
      const pair = await login(t, '31');
      const anonymous = await t.http.post('/auth/logout');
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({ ended: false });
      const forged = hs(claimsOf(pair.access_token), 'another-secret-that-is-at-least-32-bytes!!');
      const res = await t.http.post('/auth/logout').set('authorization', `Bearer ${forged}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
      expect((await get(t, '/auth/me', pair.access_token)).status).toBe(200);
      expect((await refresh(t, pair.refresh_token)).status).toBe(200);
    });

    it('cookie: CSRF required; the login ends, cookies are cleared; a second logout answers 200', async () => {
      users.byId.set('32', { id: '32' });
      const loginRes = await t.http.post('/auth/cookie-login').send({ id: '32' });
      const set = cookiesOf(loginRes);
      const access = cookieValue(set, 'access_token');
      const refreshToken = cookieValue(set, 'refresh_token');
      const csrf = cookieValue(set, 'csrf_token');
      const jar = `access_token=${access}; refresh_token=${refreshToken}; csrf_token=${csrf}`;
      const forgedCsrf = await t.http.post('/auth/logout').set('cookie', jar);
      expect(forgedCsrf.status).toBe(403);
      expect(forgedCsrf.body.code).toBe('csrf_failed');
      expect(cookiesOf(forgedCsrf)).toEqual([]);
      expect((await get(t, '/auth/me', access)).status).toBe(200);
      const res = await t.http.post('/auth/logout').set('cookie', jar).set('x-csrf-token', csrf);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ended: true });
      const cleared = cookiesOf(res);
      for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
        expect(cleared.find((cookie) => cookie.startsWith(`${name}=;`))).toMatch(/Max-Age=0/);
      }
      expect((await refresh(t, refreshToken)).body.code).toBe('token_revoked');
      const again = await t.http.post('/auth/logout').set('x-csrf-token', csrf);
      expect(again.status).toBe(200);
    });

    it('cookie: once the access cookie is gone, the refresh cookie (refreshPath /auth) ends the login', async () => {
      users.byId.set('33', { id: '33' });
      const set = cookiesOf(await t.http.post('/auth/cookie-login').send({ id: '33' }));
      const refreshToken = cookieValue(set, 'refresh_token');
      expect(set.find((cookie) => cookie.startsWith('refresh_token='))).toMatch(/Path=\/auth(;|$)/);
      const csrf = cookieValue(set, 'csrf_token');
      const res = await t.http
        .post('/auth/logout')
        .set('cookie', `refresh_token=${refreshToken}; csrf_token=${csrf}`)
        .set('x-csrf-token', csrf);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ended: true });
      expect((await refresh(t, refreshToken)).body.code).toBe('token_revoked');
    });

    it('revoke(token, { allowExpired: true }) ends the login of an expired token; without it, token_expired', async () => {
      const tokens = t.app.get(TokenService);
      users.byId.set('34', { id: '34' });
      const pair = await login(t, '34');
      const old = expired(pair.access_token);
      await expect(tokens.revoke(old)).rejects.toMatchObject({ code: 'token_expired' });
      await expect(
        tokens.revoke(hs(claimsOf(old), 'another-secret-that-is-at-least-32-bytes!!'), { allowExpired: true }),
      ).rejects.toMatchObject({
        code: 'token_invalid',
      });
      expect((await refresh(t, pair.refresh_token)).status).toBe(200);
      await tokens.revoke(old, { allowExpired: true });
      expect((await get(t, '/auth/me', pair.access_token)).body.code).toBe('token_revoked');
    });
  });
});
