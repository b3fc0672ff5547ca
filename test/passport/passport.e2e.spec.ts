import { Controller, Get, Module } from '@nestjs/common';
import { BasicStrategy } from 'passport-http';
import { Strategy as CustomStrategy } from 'passport-custom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Auth, AuthContext, AuthModule, CurrentUser, PassportAuthentication, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

const USERS: Record<string, { id: number; username: string; password: string; permissions: string[] }> = {
  bob: { id: 2, username: 'bob', password: 'bob-password', permissions: ['reports:read'] },
};

const basic = new PassportAuthentication(
  new BasicStrategy((username, password, done) => {
    const user = USERS[username];
    // An async store, as a real one would be.
    setImmediate(() =>
      done(null, user !== undefined && user.password === password ? { id: user.id, username, permissions: user.permissions } : false),
    );
  }),
  { name: 'basic', openApi: { type: 'http', scheme: 'basic' } },
);

const custom = new PassportAuthentication(
  new CustomStrategy((request, done) => {
    const header = (request as unknown as { headers: Record<string, string | undefined> }).headers['x-device-id'];
    if (header === undefined) return done(null, false);
    if (header === 'explode') return done(new Error('device store is down'));
    return done(null, header === 'device-7' ? { id: 'device-7' } : false);
  }),
  { name: 'device', hasCredential: (request) => request.headers['x-device-id'] !== undefined },
);

@Controller()
class PassportController {
  @Get('basic')
  basic(@CurrentUser() user: unknown, @AuthContext() context: RequestContext): unknown {
    return { user, backend: context.authBackend, permissions: context.permissions };
  }

  @Auth({ authentication: [custom] })
  @Get('device')
  device(@AuthContext() context: RequestContext): unknown {
    return { userId: context.userId, backend: context.authBackend };
  }
}

@Module({ imports: [AuthModule.forRoot({ authentication: [basic] })], controllers: [PassportController] })
class PassportAppModule {}

const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

// passport-http and passport-custom read only request.headers, which both adapters provide.
describe.each(ADAPTERS)('PassportAuthentication (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [PassportAppModule] });
  });
  afterAll(() => t.close());

  it('passport-http Basic: right password authenticates, and the strategy user is request.user', async () => {
    const res = await t.http.get('/basic').set('authorization', basicHeader('bob', 'bob-password'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: { id: 2, username: 'bob', permissions: ['reports:read'] },
      backend: 'basic',
      permissions: ['reports:read'],
    });
  });

  it('passport-http Basic: a wrong password is 401 token_invalid, none is 401 credentials_missing', async () => {
    const wrong = await t.http.get('/basic').set('authorization', basicHeader('bob', 'nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('token_invalid');
    const none = await t.http.get('/basic');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('credentials_missing');
  });

  it('a passport-custom strategy: success, refusal, absence, and a strategy error failing closed', async () => {
    expect((await t.http.get('/device').set('x-device-id', 'device-7')).body).toEqual({ userId: 'device-7', backend: 'device' });
    expect((await t.http.get('/device').set('x-device-id', 'device-8')).body.code).toBe('token_invalid');
    expect((await t.http.get('/device')).body.code).toBe('credentials_missing');
    const error = await t.http.get('/device').set('x-device-id', 'explode');
    expect(error.status).toBe(503);
    expect(error.body.code).toBe('auth_unavailable');
  });
});

/** A strategy that reads Express' `req.get()`, so it is declared Express-only. */
function expressOnlyApp(): typeof PassportAppModule {
  const token = new PassportAuthentication(
    new CustomStrategy((request, done) => {
      const header = (request as unknown as { get(name: string): string | undefined }).get('x-partner');
      return done(null, header === 'acme' ? { id: 'acme' } : false);
    }),
    { name: 'partner', platforms: ['express'], hasCredential: (request) => request.headers['x-partner'] !== undefined },
  );

  @Controller()
  class PartnerController {
    @Auth({ authentication: [token] })
    @Get('partner')
    partner(@AuthContext() context: RequestContext): unknown {
      return { userId: context.userId };
    }
  }

  @Module({ imports: [AuthModule.forRoot({ authentication: [basic] })], controllers: [PartnerController] })
  class PartnerAppModule {}
  return PartnerAppModule;
}

describe('a strategy declared Express-only (platforms)', () => {
  it('runs on Express, in a per-handler @Auth()', async () => {
    const t = await startApp('express', { imports: [expressOnlyApp()] });
    try {
      expect((await t.http.get('/partner').set('x-partner', 'acme')).body).toEqual({ userId: 'acme' });
      expect((await t.http.get('/partner').set('x-partner', 'other')).body.code).toBe('token_invalid');
    } finally {
      await t.close();
    }
  });

  it('refuses to start on Fastify, at start-up rather than on the first request, saying why', async () => {
    await expect(startApp('fastify', { imports: [expressOnlyApp()] })).rejects.toThrow(
      /PassportAuthentication "partner": this strategy runs on express only, and the app runs on fastify/,
    );
  });
});
