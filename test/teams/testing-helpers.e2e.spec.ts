import { Controller, Get, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthContext,
  AuthModule,
  CurrentUser,
  IsFresh,
  JwtAuthentication,
  Public,
  Roles,
  Scopes,
  WardenGuard,
  Auth,
  type AuthModuleOptions,
  type RequestContext,
} from '../../src/index.js';
import { authAs, mintToken, mintTokenPair, overrideAuthentication, startTestIssuer, type TestIssuer } from '../../src/testing/index.js';
import { ADAPTERS, type AdapterName } from '../utils/app.js';

// Issue 17, item 1: `nestjs-warden/testing`, used as a user would in the e2e test of their own controller.

const SECRET = 'testing-helpers-secret-at-least-32-bytes';

@Controller('orders')
class OrdersController {
  @Public()
  @Get('health')
  health() {
    return { ok: true };
  }

  @Get('mine')
  mine(@AuthContext() context: RequestContext, @CurrentUser() user: unknown) {
    return { userId: context.userId, backend: context.authBackend, roles: context.roles, scopes: context.scopes, user };
  }

  @Roles('clerk')
  @Get('all')
  all() {
    return { all: true };
  }

  @Scopes('orders:export')
  @Get('export')
  export() {
    return { exported: true };
  }

  @Auth({ guards: [IsFresh()] })
  @Get('sensitive')
  sensitive() {
    return { sensitive: true };
  }
}

const appModule = (options: Partial<AuthModuleOptions> = {}): DynamicModule => {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
        tokens: { secret: SECRET },
        ...options,
      }),
    ],
    controllers: [OrdersController],
  })
  class AppModule {}
  return { module: AppModule };
};

async function boot(adapter: AdapterName, builder: TestingModuleBuilder): Promise<INestApplication> {
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication(adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false });
  await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(ADAPTERS)('nestjs-warden/testing on %s', (adapter) => {
  const apps: INestApplication[] = [];
  const start = async (builder: TestingModuleBuilder): Promise<INestApplication> => {
    const app = await boot(adapter, builder);
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('tokens minted with the app’s own configuration', () => {
    it('authAs(app, user): 200 as that user, its roles and scopes enforced, anonymous 401', async () => {
      const app = await start(Test.createTestingModule({ imports: [appModule()] }));
      const http = () => request(app.getHttpServer());
      const clerk = await authAs(app, { id: 7, roles: ['clerk'], scopes: ['orders:export'] });
      const mine = await http().get('/orders/mine').set(clerk);
      expect(mine.status).toBe(200);
      expect(mine.body).toMatchObject({ userId: '7', backend: 'jwt', roles: ['clerk'], scopes: ['orders:export'] });
      expect((await http().get('/orders/all').set(clerk)).status).toBe(200);
      expect((await http().get('/orders/export').set(clerk)).status).toBe(200);
      const guest = await http()
        .get('/orders/all')
        .set(await authAs(app, 8));
      expect(guest.status).toBe(403);
      expect(guest.body.code).toBe('permission_denied');
      const anonymous = await http()
        .get('/orders/all')
        .set(await authAs(app, null));
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('credentials_missing');
    });

    it('mintToken: fresh by default, { fresh: false } refused by IsFresh(), expiresIn honoured, options replace the user’s roles', async () => {
      const app = await start(Test.createTestingModule({ imports: [appModule()] }));
      const http = (token: string) => request(app.getHttpServer()).get('/orders/sensitive').set('authorization', `Bearer ${token}`);
      expect((await http(await mintToken(app, { id: 1 }))).status).toBe(200);
      const stale = await http(await mintToken(app, { id: 1 }, { fresh: false }));
      expect(stale.status).toBe(403);
      expect(stale.body.code).toBe('fresh_token_required');
      const token = await mintToken(app, { id: 1, roles: ['clerk'] }, { expiresIn: 60, roles: ['viewer'] });
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, number | unknown>;
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
      expect(claims.roles).toEqual(['viewer']);
    });

    it('mintTokenPair: a login pair the app refreshes; the compiled TestingModule works as well as the app', async () => {
      const builder = Test.createTestingModule({ imports: [appModule()] });
      const app = await start(builder);
      const pair = await mintTokenPair(app, { id: 3, roles: ['clerk'] });
      expect(pair).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
      const all = await request(app.getHttpServer()).get('/orders/all').set('authorization', `Bearer ${pair.access_token}`);
      expect(all.status).toBe(200);
    });

    it('an app without `tokens`: mintToken says how to sign tokens instead', async () => {
      const app = await start(Test.createTestingModule({ imports: [appModule({ tokens: undefined })] }));
      await expect(mintToken(app, 1)).rejects.toThrow(/has no `tokens`.*startTestIssuer\(\).*overrideAuthentication\(\)/);
      await expect(mintToken(app, { id: '' })).rejects.toThrow(TypeError);
    });
  });

  describe('overrideAuthentication', () => {
    it('every request is the default user; the app’s own guards still apply; request.user is the test user', async () => {
      const user = { id: 'u1', roles: ['clerk'], email: 'u1@example.test' };
      const app = await start(overrideAuthentication(Test.createTestingModule({ imports: [appModule()] }), { user }));
      const http = () => request(app.getHttpServer());
      const mine = await http().get('/orders/mine');
      expect(mine.status).toBe(200);
      expect(mine.body).toEqual({ userId: 'u1', backend: 'test', roles: ['clerk'], scopes: [], user });
      expect((await http().get('/orders/all')).status).toBe(200);
      const exported = await http().get('/orders/export');
      expect(exported.status).toBe(403);
      expect(exported.body.code).toBe('permission_denied');
      expect((await http().get('/orders/sensitive')).status).toBe(200);
    });

    it('authAs names another user per request, or none; without a default user the app’s backends answer', async () => {
      const app = await start(overrideAuthentication(Test.createTestingModule({ imports: [appModule()] })));
      const http = () => request(app.getHttpServer());
      expect((await http().get('/orders/mine')).status).toBe(401);
      const other = await http()
        .get('/orders/mine')
        .set(await authAs(app, { id: 2, scopes: ['orders:export'] }, { roles: ['clerk'] }));
      expect(other.body).toMatchObject({ userId: '2', backend: 'test', roles: ['clerk'], scopes: ['orders:export'] });
      const anonymous = await http()
        .get('/orders/mine')
        .set(await authAs(app, null));
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.code).toBe('credentials_missing');
      // A real token still works next to the test users.
      const token = await mintToken(app, 9);
      expect((await http().get('/orders/mine').set('authorization', `Bearer ${token}`)).body).toMatchObject({
        userId: '9',
        backend: 'jwt',
      });
    });

    it('a bad test-user header is 401 token_malformed, never a 500', async () => {
      const app = await start(overrideAuthentication(Test.createTestingModule({ imports: [appModule()] }), { user: 1 }));
      for (const value of ['%%%', Buffer.from('{"id":{}}').toString('base64url'), Buffer.from('null').toString('base64url')]) {
        const res = await request(app.getHttpServer()).get('/orders/mine').set('x-warden-test-user', value);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('token_malformed');
      }
    });

    it('loadUser: true reads request.user through the app’s userLoader; name sets authBackend', async () => {
      const seen: unknown[] = [];
      const module = appModule({ userLoader: (context) => (seen.push(context.userId), { id: context.userId, from: 'db' }) });
      const builder = overrideAuthentication(Test.createTestingModule({ imports: [module] }), { user: 5, loadUser: true, name: 'jwt' });
      const app = await start(builder);
      const mine = await request(app.getHttpServer()).get('/orders/mine');
      expect(mine.body).toMatchObject({ userId: '5', backend: 'jwt', user: { id: '5', from: 'db' } });
      expect(seen).toEqual(['5']);
    });
  });

  // Nest's overrideGuard() only reaches guards bound with @UseGuards(); a global guard is overridden with
  // overrideProvider() once it is a provider of its own (the APP_GUARD an alias of it), as AuthModule registers it.
  describe('overrideProvider(WardenGuard)', () => {
    it('with a mock: the app refuses to start and names overrideAuthentication (the mock would switch every check off)', async () => {
      const builder = Test.createTestingModule({ imports: [appModule()] })
        .overrideProvider(WardenGuard)
        .useValue({ canActivate: () => true });
      await expect(builder.compile()).rejects.toThrow(/WardenGuard was replaced.*overrideAuthentication\(builder, \{ user \}\)/);
    });

    it('with a subclass: it is the global guard (the override reaches the APP_GUARD)', async () => {
      const seen: string[] = [];
      class CountingGuard extends WardenGuard {
        protected override authenticate(...args: Parameters<WardenGuard['authenticate']>): ReturnType<WardenGuard['authenticate']> {
          seen.push(args[0].url);
          return super.authenticate(...args);
        }
      }
      const app = await start(
        Test.createTestingModule({ imports: [appModule()] })
          .overrideProvider(WardenGuard)
          .useClass(CountingGuard),
      );
      const res = await request(app.getHttpServer())
        .get('/orders/all')
        .set(await authAs(app, 1));
      expect(res.status).toBe(403);
      expect(seen).toEqual(['/orders/all']);
    });
  });
});

describe.each(ADAPTERS)('startTestIssuer on %s: an app that verifies a remote JWKS', (adapter) => {
  let issuer: TestIssuer;
  let app: INestApplication;
  beforeAll(async () => {
    issuer = await startTestIssuer({ algorithm: 'ES256', audience: 'orders-api' });
    const jwks = new JwtAuthentication({
      jwksUri: issuer.jwksUri,
      issuer: issuer.issuer,
      audience: 'orders-api',
      algorithms: ['ES256'],
      jwksCooldownMs: 1,
    });
    app = await boot(adapter, Test.createTestingModule({ imports: [appModule({ authentication: [jwks], tokens: undefined })] }));
  });
  afterAll(async () => {
    await app?.close();
    await issuer?.close();
  });

  it('its tokens are accepted (roles, scopes), a wrong audience or a foreign key refused; rotation is followed', async () => {
    const http = (token: string) => request(app.getHttpServer()).get('/orders/mine').set('authorization', `Bearer ${token}`);
    const ok = await http(issuer.mint({ sub: '42', roles: ['clerk'], scope: 'orders:export' }));
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ userId: '42', roles: ['clerk'], scopes: ['orders:export'] });
    const wrongAudience = await http(issuer.mint({ sub: '42', aud: 'billing-api' }));
    expect(wrongAudience.body.code).toBe('token_claims_invalid');
    const other = await startTestIssuer({ algorithm: 'ES256', issuer: issuer.issuer, audience: 'orders-api' });
    const foreign = await http(other.mint({ sub: '42' }, {}));
    await other.close();
    expect(foreign.status).toBe(401);
    const before = await http(issuer.mint({ sub: '1' }));
    expect(before.status).toBe(200);
    const fetches = issuer.jwksFetches;
    issuer.rotate();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = await http(issuer.mint({ sub: '2' }));
    expect(after.status).toBe(200);
    expect(after.body.userId).toBe('2');
    expect(issuer.jwksFetches).toBe(fetches + 1);
    const discovery = await fetch(`${issuer.url}/.well-known/openid-configuration`);
    expect(await discovery.json()).toEqual({
      issuer: issuer.issuer,
      jwks_uri: issuer.jwksUri,
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });
});
