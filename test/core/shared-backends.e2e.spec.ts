import { generateKeyPairSync } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Injectable, Module, Post, Req, Res, type Type } from '@nestjs/common';
import { Strategy as CustomStrategy } from 'passport-custom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiKeyAuthentication,
  AuthContext,
  AuthModule,
  CurrentUser,
  InMemoryRevocation,
  JwtAuthentication,
  loginSession,
  PassportAuthentication,
  Public,
  SessionAuthentication,
  TokenService,
  type ApiKeyGrant,
  type ApiKeyValidator,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import { cookieName, registerSessions } from '../session/session-app.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../utils/app.js';

// STYLE rule 14 / issue 13 item 3: ONE backend object of each built-in kind, module-level
// constants as the README writes them, registered in two apps of one process with different
// revocation stores, user loaders, API key providers and cookie/CSRF settings. Each app must
// keep its own: `setup()` returns the app's bound backend and never changes the shared one.

const SECRET = 'shared-backends-spec-secret-of-32-bytes-at-least';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APP = Symbol('app name');
const API_KEY = 'shared-api-key-0123456789';

const jwt = new JwtAuthentication({ secret: SECRET, publicKey, algorithms: ['HS256', 'RS256'], cookie: 'access_token' });
const session = new SessionAuthentication();
const device = new PassportAuthentication(
  new CustomStrategy((request, done) => {
    const id = (request as unknown as { headers: Record<string, string | undefined> }).headers['x-device'];
    return id === undefined ? done(null, false) : done(null, { id, kind: 'device' });
  }),
  { name: 'device', hasCredential: (request) => request.headers['x-device'] !== undefined },
);

/** The app's own key store: an injectable provider, resolved in each app's container. */
@Injectable()
class KeyDirectory implements ApiKeyValidator {
  constructor(@Inject(APP) private readonly app: string) {}
  validate(key: string): ApiKeyGrant | null {
    return key === API_KEY ? { name: `key-of-${this.app}`, permissions: [`${this.app}:read`] } : null;
  }
}
const apiKey = new ApiKeyAuthentication({ validate: KeyDirectory });

@Controller()
class SharedController {
  constructor(
    @Inject(APP) private readonly app: string,
    private readonly tokens: TokenService,
  ) {}

  @Get('who')
  async who(@AuthContext() context: RequestContext, @CurrentUser() user: unknown): Promise<Record<string, unknown>> {
    return { app: this.app, userId: context.userId, backend: context.authBackend, permissions: context.permissions, user };
  }

  @Post('write')
  @HttpCode(201)
  write(@AuthContext() context: RequestContext): { app: string; by: string | null } {
    return { app: this.app, by: context.userId };
  }

  @Public()
  @Post('login-jwt')
  @HttpCode(200)
  loginJwt(@Res({ passthrough: true }) response: CookieResponse, @Body() body: { id: string }): { access: string } {
    const pair = this.tokens.createTokenPair({ id: body.id });
    this.tokens.setAuthCookies(response, pair);
    return { access: pair.access_token };
  }

  @Public()
  @Post('login-session')
  @HttpCode(200)
  async loginSession(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse, @Body() body: { id: string }) {
    return { csrfToken: await loginSession(request, { id: body.id }, { response }) };
  }
}

interface AppSide {
  name: 'A' | 'B';
  store: InMemoryRevocation;
  loads: string[];
}

function sharedModule(side: AppSide): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [jwt, session, apiKey, device],
        revocation: side.store,
        userLoader: (context) => {
          side.loads.push(String(context.userId));
          return { id: context.userId, loadedBy: side.name };
        },
        // Different signing keys, so different CSRF keys; different cookie and header names.
        tokens:
          side.name === 'A'
            ? { secret: SECRET, algorithm: 'HS256', cookies: { secure: false, csrf: 'csrf_a', csrfHeader: 'x-csrf-a' } }
            : { privateKey, algorithm: 'RS256', cookies: { secure: false, csrf: 'csrf_b', csrfHeader: 'x-csrf-b' } },
      }),
    ],
    controllers: [SharedController],
    providers: [{ provide: APP, useValue: side.name }, KeyDirectory],
  })
  class SharedAppModule {}
  return SharedAppModule;
}

function cookiesOf(setCookie: string[] | string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of [setCookie ?? []].flat()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    const value = pair!.slice(eq + 1);
    if (value !== '') found.set(pair!.slice(0, eq), value);
  }
  return found;
}

describe.each(ADAPTERS)('one backend object of each kind in two apps of one process (%s)', (adapter: AdapterName) => {
  const a: AppSide = { name: 'A', store: new InMemoryRevocation(), loads: [] };
  const b: AppSide = { name: 'B', store: new InMemoryRevocation(), loads: [] };
  let appA: TestApp;
  let appB: TestApp;

  beforeAll(async () => {
    appA = await startApp(adapter, { imports: [sharedModule(a)] }, (app) => registerSessions(adapter, app));
    appB = await startApp(adapter, { imports: [sharedModule(b)] }, (app) => registerSessions(adapter, app));
  });
  afterAll(async () => {
    await appA.close();
    await appB.close();
  });
  beforeEach(() => {
    a.loads.length = 0;
    b.loads.length = 0;
  });

  const login = async (t: TestApp, id: string): Promise<string> => (await t.http.post('/login-jwt').send({ id })).body.access;

  it('the shared objects are left as they were: no store, loader, validator or CSRF key written into them', () => {
    for (const backend of [jwt, session, apiKey, device]) {
      expect((backend as unknown as Record<string, unknown>).revocation).toBeUndefined();
      expect((backend as unknown as Record<string, unknown>).csrfTokenFor).toBeUndefined();
      expect((backend as unknown as Record<string, unknown>).loadUser).toBeUndefined();
      expect((backend as unknown as Record<string, unknown>).validator).toBeUndefined();
    }
  });

  it("JWT: a token revoked in app A's store is refused by A and still accepted by B, and the other way round", async () => {
    const fromA = await login(appA, '1');
    const fromB = await login(appB, '2');
    for (const [t, token] of [
      [appA, fromA],
      [appB, fromA],
      [appA, fromB],
      [appB, fromB],
    ] as const) {
      expect((await t.http.get('/who').set('authorization', `Bearer ${token}`)).status).toBe(200);
    }

    await appA.app.get(TokenService).revoke(fromA);
    const inA = await appA.http.get('/who').set('authorization', `Bearer ${fromA}`);
    expect(inA.status).toBe(401);
    expect(inA.body.code).toBe('token_revoked');
    const inB = await appB.http.get('/who').set('authorization', `Bearer ${fromA}`);
    expect(inB.status).toBe(200);
    expect(inB.body).toMatchObject({ app: 'B', userId: '1', backend: 'jwt' });

    await appB.app.get(TokenService).revoke(fromB);
    expect((await appB.http.get('/who').set('authorization', `Bearer ${fromB}`)).body.code).toBe('token_revoked');
    expect((await appA.http.get('/who').set('authorization', `Bearer ${fromB}`)).status).toBe(200);
  });

  it("JWT: each app's userLoader is the one called", async () => {
    const token = await login(appA, '7');
    const inA = await appA.http.get('/who').set('authorization', `Bearer ${token}`);
    const inB = await appB.http.get('/who').set('authorization', `Bearer ${token}`);
    expect(inA.body).toMatchObject({ app: 'A', user: { id: '7', loadedBy: 'A' } });
    expect(inB.body).toMatchObject({ app: 'B', user: { id: '7', loadedBy: 'B' } });
    expect(a.loads).toEqual(['7']);
    expect(b.loads).toEqual(['7']);
  });

  it("session: each app's loader checks its own sessions", async () => {
    for (const [t, side, id] of [
      [appA, a, '11'],
      [appB, b, '12'],
    ] as const) {
      const res = await t.http.post('/login-session').send({ id });
      const cookie = `${cookieName(adapter)}=${cookiesOf(res.headers['set-cookie']).get(cookieName(adapter))}`;
      const who = await t.http.get('/who').set('cookie', cookie);
      expect(who.status).toBe(200);
      expect(who.body).toMatchObject({ app: side.name, userId: id, backend: 'session', user: { id, loadedBy: side.name } });
    }
    expect(a.loads).toEqual(['11']);
    expect(b.loads).toEqual(['12']);
  });

  it("API key: each app's validate provider (resolved in its own container) answers", async () => {
    const inA = await appA.http.get('/who').set('x-api-key', API_KEY);
    const inB = await appB.http.get('/who').set('x-api-key', API_KEY);
    expect(inA.body).toMatchObject({ app: 'A', userId: 'key-of-A', backend: 'api_key', permissions: ['A:read'] });
    expect(inB.body).toMatchObject({ app: 'B', userId: 'key-of-B', backend: 'api_key', permissions: ['B:read'] });
  });

  it('passport: the same strategy backend serves both apps', async () => {
    for (const [t, name] of [
      [appA, 'A'],
      [appB, 'B'],
    ] as const) {
      const res = await t.http.get('/who').set('x-device', 'd-1');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ app: name, userId: 'd-1', backend: 'device', user: { id: 'd-1', kind: 'device' } });
    }
  });

  it('JWT cookie: each app writes its own CSRF cookie, and checks the token its own key derives, in its own header', async () => {
    const loginA = await appA.http.post('/login-jwt').send({ id: '21' });
    const loginB = await appB.http.post('/login-jwt').send({ id: '22' });
    const cookiesA = cookiesOf(loginA.headers['set-cookie']);
    const cookiesB = cookiesOf(loginB.headers['set-cookie']);
    expect([...cookiesA.keys()].sort()).toEqual(['access_token', 'csrf_a', 'refresh_token']);
    expect([...cookiesB.keys()].sort()).toEqual(['access_token', 'csrf_b', 'refresh_token']);
    const accessA = `access_token=${cookiesA.get('access_token')}`;
    const accessB = `access_token=${cookiesB.get('access_token')}`;

    // Each app accepts its own login with its own header...
    const ownA = await appA.http.post('/write').set('cookie', accessA).set('x-csrf-a', cookiesA.get('csrf_a')!);
    expect(ownA.status).toBe(201);
    expect(ownA.body).toEqual({ app: 'A', by: '21' });
    const ownB = await appB.http.post('/write').set('cookie', accessB).set('x-csrf-b', cookiesB.get('csrf_b')!);
    expect(ownB.status).toBe(201);
    expect(ownB.body).toEqual({ app: 'B', by: '22' });

    // ...and not the other app's header name.
    const wrongHeader = await appA.http.post('/write').set('cookie', accessA).set('x-csrf-b', cookiesA.get('csrf_a')!);
    expect(wrongHeader.status).toBe(403);
    expect(wrongHeader.body.code).toBe('csrf_failed');

    // App A's cookie login is a valid token in B too (B accepts HS256), but its CSRF token was derived
    // with A's key: B, deriving with its own, refuses it.
    const crossed = await appB.http.post('/write').set('cookie', accessA).set('x-csrf-b', cookiesA.get('csrf_a')!);
    expect(crossed.status).toBe(403);
    expect(crossed.body.code).toBe('csrf_failed');
    const crossedBack = await appA.http.post('/write').set('cookie', accessB).set('x-csrf-a', cookiesB.get('csrf_b')!);
    expect(crossedBack.status).toBe(403);
    expect(crossedBack.body.code).toBe('csrf_failed');
  });

  it("session cookie: loginSession writes each app's CSRF cookie name, and each app checks its own header", async () => {
    for (const [t, csrf, header, other] of [
      [appA, 'csrf_a', 'x-csrf-a', 'x-csrf-b'],
      [appB, 'csrf_b', 'x-csrf-b', 'x-csrf-a'],
    ] as const) {
      const res = await t.http.post('/login-session').send({ id: '31' });
      const cookies = cookiesOf(res.headers['set-cookie']);
      expect(cookies.get(csrf)).toBe(res.body.csrfToken);
      const session = `${cookieName(adapter)}=${cookies.get(cookieName(adapter))}`;
      expect((await t.http.post('/write').set('cookie', session).set(header, res.body.csrfToken)).status).toBe(201);
      const wrong = await t.http.post('/write').set('cookie', session).set(other, res.body.csrfToken);
      expect(wrong.status).toBe(403);
      expect(wrong.body.code).toBe('csrf_failed');
    }
  });
});
