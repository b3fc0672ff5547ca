import { Controller, Get, Module } from '@nestjs/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Auth,
  AuthContext,
  AuthModule,
  HasAnyRole,
  JwtAuthentication,
  Permissions,
  Roles,
  Scopes,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

/**
 * Review finding 7: with `permissionsFrom: 'user'`, what a JWT-authenticated request may do is
 * the loaded user's now. Roles follow the same rule as permissions: a demoted admin whose token
 * still says `roles: ['admin']` is refused at once, not at the next refresh.
 */
const SECRET = 'u'.repeat(32);
const token = (sub: string, extra: Record<string, unknown> = {}): string => hs(claims({ sub, ...extra }), SECRET);

/** The users the loader reads: what each is allowed today. */
const users = new Map<string, unknown>();
let loads = 0;

@Controller()
class AdminController {
  @Roles('admin')
  @Get('admin')
  admin(@AuthContext() context: RequestContext): { roles: string[]; permissions: string[]; scopes: string[] } {
    return { roles: context.roles, permissions: context.permissions, scopes: context.scopes };
  }

  @Auth({ guards: [HasAnyRole('admin', 'auditor')] })
  @Get('audit')
  audit(): string {
    return 'audit';
  }

  @Permissions('reports:read')
  @Get('reports')
  reports(): string {
    return 'reports';
  }

  @Scopes('orders:read')
  @Get('orders')
  orders(@AuthContext() context: RequestContext): { roles: string[]; scopes: string[] } {
    return { roles: context.roles, scopes: context.scopes };
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
      permissionsFrom: 'user',
      userLoader: (context) => {
        loads++;
        return users.get(context.userId!) ?? null;
      },
    }),
  ],
  controllers: [AdminController],
})
class AppModule {}

describe.each(ADAPTERS)("permissionsFrom: 'user' on %s: roles are the loaded user's, not the token's", (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [AppModule] });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    users.clear();
    loads = 0;
  });
  const get = (path: string, bearer: string) => t.http.get(path).set('authorization', `Bearer ${bearer}`);

  it('a demoted admin (the token still says admin, the user no longer is): 403 permission_denied at once', async () => {
    users.set('1', { id: '1', roles: ['user'], permissions: [] });
    const demoted = token('1', { roles: ['admin'], permissions: ['reports:read'] });
    for (const path of ['/admin', '/audit', '/reports']) {
      const response = await get(path, demoted);
      expect(response.status, path).toBe(403);
      expect(response.body.code, path).toBe('permission_denied');
    }
    // One load per request, not one per guard.
    expect(loads).toBe(3);
  });

  it('a user without a roles field has no roles, whatever the token says; a non-string role counts for nothing', async () => {
    users.set('2', { id: '2' });
    users.set('3', { id: '3', roles: [1, null, { name: 'admin' }, ''] });
    for (const sub of ['2', '3']) {
      const response = await get('/admin', token(sub, { roles: ['admin'] }));
      expect(response.status, sub).toBe(403);
      expect(response.body.code, sub).toBe('permission_denied');
    }
  });

  it("a promoted user (the token says nothing): allowed, and request.context shows the user's roles and permissions", async () => {
    users.set('4', { id: '4', roles: ['admin', 'auditor'], permissions: ['reports:read'] });
    const promoted = token('4', { roles: ['user'] });
    const response = await get('/admin', promoted);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ roles: ['admin', 'auditor'], permissions: ['reports:read'], scopes: [] });
    expect((await get('/audit', promoted)).status).toBe(200);
    expect((await get('/reports', promoted)).status).toBe(200);
  });

  it("scopes stay the token's (what the user delegated to it); roles in the context are the user's", async () => {
    users.set('5', { id: '5', roles: ['clerk'], scopes: ['orders:read'] });
    const denied = await get('/orders', token('5', { roles: ['admin'] }));
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('permission_denied');
    const allowed = await get('/orders', token('5', { roles: ['admin'], scope: 'orders:read' }));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toEqual({ roles: ['clerk'], scopes: ['orders:read'] });
  });

  it('a user gone since the token was issued: 401 user_inactive, never the token roles', async () => {
    const response = await get('/admin', token('9', { roles: ['admin'] }));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('user_inactive');
  });
});
