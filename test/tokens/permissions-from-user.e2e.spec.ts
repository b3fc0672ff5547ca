import { Module } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthModule, JwtAuthentication, type AuthModuleOptions } from '../../src/index.js';
import { bootError } from '../startup/boot.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { API_KEY, BARE_KEY, permissionsModule, SECRET, Users } from './permissions-app.js';

// Issue #15: "Permissions in tokens: document why they are in every token by default and add an
// option to read them from the loaded user instead." (`permissionsFrom`, default 'token').

const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe.each(ADAPTERS)('permissionsFrom on %s', (adapter) => {
  const fromUser = new Users();
  const fromToken = new Users();
  let user: TestApp;
  let token: TestApp;
  beforeAll(async () => {
    user = await startApp(adapter, { imports: [permissionsModule(fromUser, 'user')] });
    token = await startApp(adapter, { imports: [permissionsModule(fromToken)] });
  });
  afterAll(async () => {
    await Promise.all([user.close(), token.close()]);
  });
  beforeEach(() => {
    for (const users of [fromUser, fromToken]) {
      users.byId.clear();
      users.calls.length = 0;
    }
  });

  const get = (app: TestApp, path: string, bearer: string) => app.http.get(path).set('authorization', `Bearer ${bearer}`);
  const login = async (app: TestApp, body: Record<string, unknown>) => {
    const res = await app.http.post('/login').send({ user: body });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };

  describe("'user'", () => {
    it('issues no `permissions` claim: login pair, createAccessToken and a refreshed pair', async () => {
      fromUser.byId.set('1', { id: '1', permissions: ['reports:read'] });
      const pair = await login(user, { id: '1', permissions: ['reports:read', 'admin:all'] });
      const single = (await user.http.post('/access').send({ user: { id: '1', permissions: ['reports:read'] } })).body.token as string;
      const refreshed = await user.http.post('/refresh').send({ refresh_token: pair.refresh_token });
      expect(refreshed.status).toBe(200);
      for (const issued of [pair.access_token, pair.refresh_token, single, refreshed.body.access_token, refreshed.body.refresh_token]) {
        expect(claimsOf(issued)).toMatchObject({ sub: '1' });
        expect(claimsOf(issued)).not.toHaveProperty('permissions');
      }
    });

    it('a permission taken away in the store is refused at the next request, with the same token (no re-login)', async () => {
      fromUser.byId.set('2', { id: '2', permissions: ['reports:read'] });
      const { access_token } = await login(user, { id: '2' });
      const allowed = await get(user, '/reports', access_token);
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ permissions: ['reports:read'] });
      fromUser.byId.set('2', { id: '2', permissions: ['profile:read'] });
      const denied = await get(user, '/reports', access_token);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      // And given back the same way.
      fromUser.byId.set('2', { id: '2', permissions: ['reports:read'] });
      expect((await get(user, '/reports', access_token)).status).toBe(200);
    });

    it("ignores a validly signed token's own `permissions` claim (another issuer, an old token)", async () => {
      fromUser.byId.set('3', { id: '3', permissions: [] });
      const forged = hs(claims({ sub: '3', permissions: ['reports:read', 'reports:export'] }), SECRET);
      const res = await get(user, '/reports', forged);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_denied');
      expect((await get(user, '/me', forged)).body).toEqual({ permissions: [], authBackend: 'jwt' });
    });

    it('keeps only the strings of an array: a string, an object or non-string entries grant nothing', async () => {
      const bearer = hs(claims({ sub: '4' }), SECRET);
      for (const permissions of ['reports:read', { 0: 'reports:read', length: 1 }, [['reports:read']], undefined]) {
        fromUser.byId.set('4', { id: '4', permissions });
        const res = await get(user, '/reports', bearer);
        expect(res.status, JSON.stringify(permissions)).toBe(403);
        expect(res.body.code).toBe('permission_denied');
      }
      fromUser.byId.set('4', { id: '4', permissions: [42, 'reports:read', null] });
      const mixed = await get(user, '/reports', bearer);
      expect(mixed.status).toBe(200);
      expect(mixed.body).toEqual({ permissions: ['reports:read'] });
    });

    it('a custom guard reading context.permissions sees the loaded ones', async () => {
      const bearer = hs(claims({ sub: '5', permissions: ['reports:export'] }), SECRET);
      fromUser.byId.set('5', { id: '5', permissions: ['reports:read'] });
      const denied = await get(user, '/export', bearer);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      fromUser.byId.set('5', { id: '5', permissions: ['reports:export'] });
      expect((await get(user, '/export', bearer)).status).toBe(200);
    });

    it('a loader that throws is 503 auth_unavailable, before any guard or handler', async () => {
      const res = await get(user, '/reports', hs(claims({ sub: 'throws', permissions: ['reports:read'] }), SECRET));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
      expect(JSON.stringify(res.body)).not.toContain('database down');
    });

    it('a user the loader no longer finds is 401 user_inactive, on a permission route and on a plain one', async () => {
      const bearer = hs(claims({ sub: 'deleted', permissions: ['reports:read'] }), SECRET);
      for (const path of ['/reports', '/me']) {
        const res = await get(user, path, bearer);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('user_inactive');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
      }
    });

    it('loads the user once per request, though the guard and @CurrentUser() both need it', async () => {
      fromUser.byId.set('6', { id: '6', name: 'six', permissions: ['reports:read'] });
      const { access_token } = await login(user, { id: '6' });
      fromUser.calls.length = 0;
      const res = await get(user, '/reports/mine', access_token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { id: '6', name: 'six', permissions: ['reports:read'] }, permissions: ['reports:read'] });
      expect(fromUser.calls).toEqual(['6']);
      await get(user, '/reports/mine', access_token);
      expect(fromUser.calls).toEqual(['6', '6']);
    });

    it('API keys keep their own grants: the loader is never called for them', async () => {
      const granted = await user.http.get('/reports').set('x-api-key', API_KEY);
      expect(granted.status).toBe(200);
      expect(granted.body).toEqual({ permissions: ['reports:read'] });
      const bare = await user.http.get('/reports').set('x-api-key', BARE_KEY);
      expect(bare.status).toBe(403);
      expect(bare.body.code).toBe('permission_denied');
      // A user named like the key, with other permissions, changes nothing.
      fromUser.byId.set('reporter', { id: 'reporter', permissions: [] });
      expect((await user.http.get('/reports').set('x-api-key', API_KEY)).status).toBe(200);
      expect(fromUser.calls).toEqual([]);
    });

    it('an anonymous request on an AllowAny() route loads nobody; a bad token is still refused first', async () => {
      const open = await user.http.get('/open');
      expect(open.status).toBe(200);
      expect(open.body).toEqual({ permissions: [] });
      const bad = await get(user, '/reports', hs(claims({ sub: '7' }), 'another-secret-of-at-least-32-bytes!!!'));
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('token_invalid');
      expect(fromUser.calls).toEqual([]);
    });
  });

  describe("'token' (the default)", () => {
    it('tokens carry the permissions; a guard decides from the token without calling the loader', async () => {
      fromToken.byId.set('8', { id: '8', permissions: [] });
      const { access_token } = await login(token, { id: '8', permissions: ['reports:read'] });
      expect(claimsOf(access_token)).toMatchObject({ permissions: ['reports:read'] });
      const res = await get(token, '/reports', access_token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ permissions: ['reports:read'] });
      expect((await get(token, '/export', access_token)).status).toBe(403);
      expect(fromToken.calls).toEqual([]);
    });

    it('a permission taken away in the store applies at the next refresh, which reads the user', async () => {
      fromToken.byId.set('9', { id: '9', permissions: [] });
      const pair = await login(token, { id: '9', permissions: ['reports:read'] });
      expect((await get(token, '/reports', pair.access_token)).status).toBe(200);
      const refreshed = await token.http.post('/refresh').send({ refresh_token: pair.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(claimsOf(refreshed.body.access_token)).toMatchObject({ permissions: [] });
      const denied = await get(token, '/reports', refreshed.body.access_token);
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      expect(fromToken.calls).toEqual(['9']);
    });
  });

  describe('start-up', () => {
    const appWith = (options: Partial<AuthModuleOptions>) => {
      @Module({
        imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })], ...options })],
      })
      class AppModule {}
      return AppModule;
    };

    it("'user' without a userLoader refuses to start and says what to add", async () => {
      const error = await bootError(adapter, appWith({ permissionsFrom: 'user' }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/`permissionsFrom: 'user'`.*add a `userLoader`/);
    });

    it('an unknown value refuses to start', async () => {
      const error = await bootError(adapter, appWith({ permissionsFrom: 'claims' as 'user', userLoader: () => null }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toMatch(/`permissionsFrom` must be 'token' \(the default\) or 'user'/);
    });
  });
});
