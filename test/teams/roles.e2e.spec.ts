import { Controller, Get, Module } from '@nestjs/common';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthModule, JwtAuthentication, Public, Roles, Scopes, TokenService } from '../../src/index.js';
import { bootError } from '../startup/boot.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { API_KEY, ISSUER, KEYS, loads, RolesAppModule, SECRET, users } from './roles-app.js';

// Issue 17, item 2: roles and scopes from the token (every provider layout), @Roles / @Scopes,
// HasRole / HasAnyRole / HasAllRoles; item 6: UserPassesTest.

/** A token as another issuer signs it (jose, RS256), with the claims given. */
const external = (payload: Record<string, unknown>): Promise<string> =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(ISSUER)
    .setSubject('42')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(KEYS.privateKey);
/** A token of the app's own secret (HS256), with the claims given. */
const own = (extra: Record<string, unknown>): string => hs(claims(extra), SECRET);
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe.each(ADAPTERS)('roles and scopes on %s', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [RolesAppModule] });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    loads.length = 0;
    users.clear();
  });
  const get = (path: string, token?: string) => {
    const req = t.http.get(path);
    return token === undefined ? req : req.set('authorization', `Bearer ${token}`);
  };

  describe('roles from each claim layout, tokens signed by another issuer (jose)', () => {
    it.each([
      ['a `roles` claim', '/layouts/roles', { roles: ['admin', 'user'] }, ['admin', 'user'], { roles: ['user'] }],
      ['Keycloak realm roles', '/layouts/keycloak-realm', { realm_access: { roles: ['admin'] } }, ['admin'], { roles: ['admin'] }],
      [
        'Keycloak client roles',
        '/layouts/keycloak-client',
        { resource_access: { 'orders-api': { roles: ['clerk'] } } },
        ['clerk'],
        { resource_access: { 'other-api': { roles: ['clerk'] } }, realm_access: { roles: ['clerk'] } },
      ],
      [
        'Keycloak realm and client roles together',
        '/layouts/keycloak',
        { realm_access: { roles: ['user'] }, resource_access: { 'orders-api': { roles: ['clerk'] } } },
        ['user', 'clerk'],
        { realm_access: { roles: ['user', 'admin'] } },
      ],
      [
        'an Auth0 namespaced claim',
        '/layouts/auth0',
        { 'https://example.com/roles': ['editor'] },
        ['editor'],
        { roles: ['editor'], 'https://other.example/roles': ['editor'] },
      ],
      ['Azure AD app roles', '/layouts/azure-ad', { roles: ['Task.Write'] }, ['Task.Write'], { roles: ['Task.Read'] }],
      ['a mapping function', '/layouts/custom', { groups: ['ops', 'dev'] }, ['group:ops', 'group:dev'], { groups: ['dev'] }],
    ])('%s: granted 200 with context.roles, elsewhere in the token 403 permission_denied', async (_, path, granted, roles, elsewhere) => {
      const allowed = await get(path, await external(granted));
      expect(allowed.status).toBe(200);
      expect(allowed.body).toEqual({ roles });
      const denied = await get(path, await external(elsewhere));
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      const anonymous = await get(path);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('credentials_missing');
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    });
  });

  describe('attacks on the roles claim', () => {
    it.each([
      ['a string instead of an array', { roles: 'admin' }],
      ['a space-separated string', { roles: 'user admin' }],
      ['an object keyed by role', { roles: { admin: true } }],
      ['nested arrays and objects', { roles: [['admin'], { name: 'admin' }, { toString: 'admin' }] }],
      ['a number and null', { roles: [1, null] }],
      ['the role in another claim', { role: 'admin', groups: ['admin'], permissions: ['admin'], scope: 'admin' }],
      ['a case variant', { roles: ['Admin', 'ADMIN', 'admin '] }],
    ] as [string, Record<string, unknown>][])('%s: 403 permission_denied, never a 500', async (_, payload) => {
      const res = await get('/layouts/roles', await external(payload));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('permission_denied');
    });

    it('Keycloak realm_access as an array or a string: 403, never a 500', async () => {
      for (const realm of [[{ roles: ['admin'] }], 'admin', null, { roles: 'admin' }]) {
        const res = await get('/layouts/keycloak-realm', await external({ realm_access: realm }));
        expect(res.status).toBe(403);
      }
    });

    it('a huge roles array: past maxTokenLength 401 token_malformed; within a raised limit read whole; past the header limit refused', async () => {
      const many = Array.from({ length: 900 }, (_, i) => `r${i}`);
      const tooLong = await get('/layouts/roles', await external({ roles: [...many, 'admin'] }));
      expect(tooLong.status).toBe(401);
      expect(tooLong.body.code).toBe('token_malformed');
      const big = await get('/layouts/big', await external({ roles: [...many, 'admin', ...many.slice(0, 100)] }));
      expect(big.status).toBe(200);
      expect(big.body).toEqual({ count: 901 });
      const huge = await get('/layouts/big', await external({ roles: Array.from({ length: 20_000 }, (_, i) => `role-${i}`) }));
      expect([401, 431]).toContain(huge.status);
    });

    it('a handler mutating context.roles (push or reassign) does not reach the next request with the same token', async () => {
      const token = await external({ roles: ['user'] });
      for (let i = 0; i < 3; i++) {
        const tampered = await get('/layouts/tamper', token);
        expect(tampered.status).toBe(200);
        // The verified token is cached: its roles array is frozen, the push fails where it is written.
        expect(tampered.body).toEqual({ pushed: 'refused' });
        const next = await get('/layouts/roles', token);
        expect(next.status).toBe(403);
      }
    });
  });

  describe('@Roles, @Scopes and the role guards', () => {
    it('class and method @Roles both apply; HasAnyRole in @Auth replaces the guards but keeps the class @Roles', async () => {
      const staff = own({ roles: ['staff'] });
      const admin = own({ roles: ['admin'] });
      const both = own({ roles: ['staff', 'admin'] });
      const auditor = own({ roles: ['staff', 'auditor'] });
      expect((await get('/back-office/list', staff)).status).toBe(200);
      expect((await get('/back-office/list', admin)).status).toBe(403);
      expect((await get('/back-office/purge', staff)).status).toBe(403);
      expect((await get('/back-office/purge', admin)).status).toBe(403);
      expect((await get('/back-office/purge', both)).status).toBe(200);
      expect((await get('/back-office/audit', auditor)).status).toBe(200);
      expect((await get('/back-office/audit', both)).status).toBe(200);
      expect((await get('/back-office/audit', own({ roles: ['auditor'] }))).status).toBe(403);
      expect((await get('/back-office/audit', own({ roles: ['staff'] }))).body.code).toBe('permission_denied');
      expect((await get('/back-office/audit')).body.code).toBe('credentials_missing');
    });

    it.each([
      ['`scope` as a space-separated string', { scope: 'profile orders:read' }, ['profile', 'orders:read']],
      ['`scp` as an array', { scp: ['orders:read'] }, ['orders:read']],
      ['`scp` as a string', { scp: 'orders:read orders:write' }, ['orders:read', 'orders:write']],
    ])('scopes from %s', async (_, payload, scopes) => {
      const res = await get('/back-office/orders', own({ roles: ['staff'], ...payload }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ scopes });
    });

    it('a missing scope is 403; @Scopes with two needs both; scopes are not roles', async () => {
      expect((await get('/back-office/orders', own({ roles: ['staff'], scope: 'orders:write' }))).status).toBe(403);
      expect((await get('/back-office/orders', own({ roles: ['staff', 'orders:read'] }))).status).toBe(403);
      expect((await get('/back-office/orders', own({ roles: ['staff'], scope: ['orders:read'] }))).status).toBe(200);
      expect((await get('/back-office/orders', own({ roles: ['staff'], scope: { 'orders:read': true } }))).status).toBe(403);
      const write = (token: string) => t.http.post('/back-office/orders').set('authorization', `Bearer ${token}`);
      expect((await write(own({ roles: ['staff'], scope: 'orders:read' }))).status).toBe(403);
      expect((await write(own({ roles: ['staff'], scp: ['orders:write', 'orders:read'] }))).status).toBe(201);
    });

    it("an API key's roles (strings only) fill context.roles", async () => {
      const res = await t.http.get('/back-office/by-key').set('x-api-key', API_KEY);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: 'ci-bot', roles: ['staff', 'deployer'] });
    });
  });

  describe('TokenService issues roles', () => {
    it('a login carries AuthUser.roles; a refresh re-reads them from the userLoader (a demoted user loses them)', async () => {
      users.set('5', { id: '5', plan: 'free', roles: ['staff', 'admin'] });
      const pair = (await t.http.post('/tokens/login').send({ user: { id: '5', roles: ['staff', 'admin'] } })).body;
      expect(claimsOf(pair.access_token).roles).toEqual(['staff', 'admin']);
      expect((await get('/back-office/purge', pair.access_token)).status).toBe(200);
      users.set('5', { id: '5', plan: 'free', roles: ['staff'] });
      const refreshed = await t.http.post('/tokens/refresh').send({ refresh_token: pair.refresh_token });
      expect(refreshed.status).toBe(201);
      expect(claimsOf(refreshed.body.access_token).roles).toEqual(['staff']);
      expect((await get('/back-office/purge', refreshed.body.access_token)).status).toBe(403);
      expect((await get('/back-office/list', refreshed.body.access_token)).status).toBe(200);
    });

    it('extraClaims cannot set roles (reserved), and roles must be a list of names: TypeError, no token issued', () => {
      const tokens = t.app.get(TokenService);
      expect(() => tokens.createTokenPair({ id: '6' }, { extraClaims: { roles: ['admin'] } })).toThrow('cannot set "roles"');
      expect(() => tokens.createAccessToken({ id: '6', roles: 'admin' as never })).toThrow(TypeError);
      expect(() => tokens.createAccessToken({ id: '6', roles: [{ name: 'admin' }] as never })).toThrow(TypeError);
      expect(claimsOf(tokens.createAccessToken({ id: '6' }))).not.toHaveProperty('roles');
    });
  });

  describe('UserPassesTest', () => {
    it('a sync predicate on the context: true 200, false 403, anonymous 401; the user is never loaded', async () => {
      expect((await get('/predicates/sync', own({ sub: 'owner' }))).status).toBe(200);
      const denied = await get('/predicates/sync', own({ sub: 'intruder' }));
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('permission_denied');
      expect((await get('/predicates/sync')).body.code).toBe('credentials_missing');
      expect((await get('/predicates/no-user', own({ roles: ['staff'] }))).status).toBe(200);
      expect(loads).toEqual([]);
    });

    it('an async predicate that loads the user: one load shared with @CurrentUser(); a missing user 401 user_inactive', async () => {
      users.set('7', { id: '7', plan: 'pro' });
      users.set('8', { id: '8', plan: 'free' });
      const pro = await get('/predicates/async', own({ sub: '7' }));
      expect(pro.status).toBe(200);
      expect(pro.body).toEqual({ plan: 'pro' });
      expect(loads).toEqual(['7']);
      expect((await get('/predicates/async', own({ sub: '8' }))).status).toBe(403);
      const gone = await get('/predicates/async', own({ sub: '9' }));
      expect(gone.status).toBe(401);
      expect(gone.body.code).toBe('user_inactive');
    });
  });
});

describe.each(ADAPTERS)('start-up refusals on %s', (adapter) => {
  const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });

  it('@Roles() under a class @Public(): the app refuses to start, naming the handler and the decorator', async () => {
    @Public()
    @Controller()
    class OpenController {
      @Roles('admin')
      @Get('x')
      x() {}
    }
    @Module({ imports: [AuthModule.forRoot({ authentication: [backend] })], controllers: [OpenController] })
    class OpenModule {}
    const error = await bootError(adapter, OpenModule);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain("OpenController.x is public (@Public() on the class) but has @Roles('admin') on the method");
    expect(error.message).toContain('so the roles would never be checked');
  });

  it('@Scopes() on a class with a method @Public(): refused as well', async () => {
    @Scopes('orders:read')
    @Controller()
    class MixedController {
      @Public()
      @Get('y')
      y() {}
    }
    @Module({ imports: [AuthModule.forRoot({ authentication: [backend] })], controllers: [MixedController] })
    class MixedModule {}
    const error = await bootError(adapter, MixedModule);
    expect(error.message).toContain("MixedController.y is public (@Public() on the method) but has @Scopes('orders:read') on the class");
  });

  it('a roles mapping written as a dot path for a namespaced claim is a TypeError at construction', () => {
    expect(() => new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], roles: 'https://example.com/roles' })).toThrow(
      "write ['https://example.com/roles']",
    );
  });

  it('@Roles() with no role is a TypeError where it is written', () => {
    expect(() => Roles()).toThrow('@Roles() needs at least one role name');
  });
});
