import { Controller, Get, HttpCode, Module, Post, Req, Res, Body, type Type } from '@nestjs/common';
import { Strategy as CustomStrategy } from 'passport-custom';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiKeyAuthentication,
  AuthContext,
  AuthContextService,
  AuthModule,
  CurrentUser,
  JwtAuthentication,
  loginSession,
  PassportAuthentication,
  PermissionDeniedError,
  Public,
  SessionAuthentication,
  type AuthModuleOptions,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import { registerSessions, cookieName } from '../session/session-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';

// API.md: "`userLoader` failures are 503 `auth_unavailable`, bounded by `userLoaderTimeoutMs`
// (default 2000); a `null` user read on an authenticated request is 401 `user_inactive`."

const SECRET = 'user-loader-spec-secret-of-at-least-32-bytes!';
const TIMEOUT_MS = 150;

/** The user id names what the loader does: each request picks its own failure. */
function load(context: RequestContext, calls: string[]): unknown {
  const id = String(context.userId);
  calls.push(id);
  switch (id) {
    case 'throws':
      throw new Error('db exploded (sync)');
    case 'rejects':
      return Promise.reject(new Error('db exploded (async)'));
    case 'hangs':
      return new Promise(() => undefined);
    case 'slow':
      return new Promise((resolve) => setTimeout(() => resolve({ id, late: true }), TIMEOUT_MS * 3));
    case 'gone':
      return null;
    case 'undefined':
      return Promise.resolve(undefined);
    case 'denied':
      throw new PermissionDeniedError('the loader said no');
    default:
      return { id, name: `user-${id}` };
  }
}

const device = new PassportAuthentication(
  new CustomStrategy((request, done) => {
    const id = (request as unknown as { headers: Record<string, string | undefined> }).headers['x-device'];
    return id === undefined ? done(null, false) : done(null, { id, kind: 'device' });
  }),
  { name: 'device', hasCredential: (request) => request.headers['x-device'] !== undefined },
);

@Controller()
class UserController {
  constructor(private readonly auth: AuthContextService) {}

  @Get('current')
  current(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }

  @Get('request-user')
  async requestUser(@Req() request: AuthRequest): Promise<{ user: unknown }> {
    return { user: await request.user };
  }

  @Get('service')
  async service(): Promise<{ user: unknown }> {
    return { user: await this.auth.getUser() };
  }

  /** Never reads the user: the loader must not run. */
  @Get('context')
  context(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }

  /** Reads `request.user` and drops it (a log line would): no unhandled rejection may follow. */
  @Get('touch')
  touch(@Req() request: AuthRequest): { touched: boolean } {
    return { touched: request.user !== undefined };
  }
}

function userModule(calls: string[], extra: Partial<AuthModuleOptions> = {}): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [
          new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] }),
          new ApiKeyAuthentication({ validate: (key) => ({ name: key.slice('key-'.length) }) }),
          device,
        ],
        userLoader: (context) => load(context, calls),
        userLoaderTimeoutMs: TIMEOUT_MS,
        ...extra,
      }),
    ],
    controllers: [UserController],
  })
  class UserModule {}
  return UserModule;
}

const bearer = (sub: string): string => `Bearer ${hs(claims({ sub }), SECRET)}`;
const READERS = ['/current', '/request-user', '/service'] as const;
const CREDENTIALS: Array<[string, (id: string) => [string, string]]> = [
  ['JWT', (id) => ['authorization', bearer(id)]],
  ['API key', (id) => ['x-api-key', `key-${id}`]],
];

describe.each(ADAPTERS)('userLoader contract (%s)', (adapter) => {
  let t: TestApp;
  const calls: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    t = await startApp(adapter, { imports: [userModule(calls)] });
  });
  afterAll(async () => {
    await t.close();
    process.off('unhandledRejection', onUnhandled);
  });
  beforeEach(() => {
    calls.length = 0;
  });
  afterEach(async () => {
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });

  describe.each(CREDENTIALS)('behind %s', (_, credential) => {
    it.each(READERS)('%s: a loaded user is the user, loaded once', async (path) => {
      const res = await t.http.get(path).set(...credential('7'));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { id: '7', name: 'user-7' } });
      expect(calls).toEqual(['7']);
    });

    it.each(READERS)('%s: a loader that throws is 503 auth_unavailable, not 500', async (path) => {
      const res = await t.http.get(path).set(...credential('throws'));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        code: 'auth_unavailable',
        message: 'The user loader did not answer',
      });
      expect(res.headers['www-authenticate']).toBeUndefined();
      // The cause (the database's own message) is never sent.
      expect(res.text).not.toContain('exploded');
    });

    it.each(READERS)('%s: a loader that rejects is 503 auth_unavailable', async (path) => {
      const res = await t.http.get(path).set(...credential('rejects'));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
      expect(res.text).not.toContain('exploded');
    });

    it.each(READERS)('%s: a loader that never settles is 503 after userLoaderTimeoutMs, not a hang', async (path) => {
      const started = Date.now();
      const res = await t.http
        .get(path)
        .set(...credential('hangs'))
        .timeout(5000);
      const took = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
      expect(res.body.message).toBe(`The user loader did not answer in time (${TIMEOUT_MS} ms)`);
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(took).toBeLessThan(TIMEOUT_MS + 1500);
    });

    it('a loader slower than the timeout is 503, even though it answers later', async () => {
      const res = await t.http.get('/current').set(...credential('slow'));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
    });

    it.each(READERS)('%s: a null user is 401 user_inactive, never 200 { user: null }', async (path) => {
      const res = await t.http.get(path).set(...credential('gone'));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        code: 'user_inactive',
        message: 'The user no longer exists or is disabled',
      });
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_token", error_description="The user no longer exists or is disabled"',
      );
    });

    it('a loader answering undefined is read as null: 401 user_inactive', async () => {
      const res = await t.http.get('/current').set(...credential('undefined'));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('user_inactive');
    });

    it('an AuthError the loader throws on purpose is answered as it is', async () => {
      const res = await t.http.get('/current').set(...credential('denied'));
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'permission_denied', message: 'the loader said no' });
    });

    it('a route that never reads the user never calls the loader, whatever it would do', async () => {
      for (const id of ['throws', 'hangs', 'gone']) {
        const res = await t.http.get('/context').set(...credential(id));
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ userId: id });
      }
      expect(calls).toEqual([]);
    });

    it('reading request.user without awaiting it leaves no unhandled rejection (checked after each test)', async () => {
      for (const id of ['throws', 'rejects', 'gone']) {
        const res = await t.http.get('/touch').set(...credential(id));
        expect(res.status).toBe(200);
      }
      expect(calls).toEqual(['throws', 'rejects', 'gone']);
    });
  });

  it('anonymous: 401 credentials_missing, and the loader is not called', async () => {
    const res = await t.http.get('/current');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('credentials_missing');
    expect(calls).toEqual([]);
  });

  it('behind a passport strategy the strategy gives the user: the loader is not consulted', async () => {
    for (const id of ['throws', 'hangs', 'gone']) {
      const res = await t.http.get('/current').set('x-device', id);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { id, kind: 'device' } });
    }
    expect(calls).toEqual([]);
  });
});

describe.each(ADAPTERS)('userLoaderTimeoutMs defaults to 2000 ms (%s)', (adapter) => {
  let t: TestApp;
  const calls: string[] = [];
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [userModule(calls, { userLoaderTimeoutMs: undefined })] });
  });
  afterAll(() => t.close());

  it('a loader that never settles is 503 after about 2 s', async () => {
    const started = Date.now();
    const res = await t.http.get('/current').set('authorization', bearer('hangs')).timeout(6000);
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.message).toBe('The user loader did not answer in time (2000 ms)');
    expect(took).toBeGreaterThanOrEqual(1990);
    expect(took).toBeLessThan(3500);
  });
});

@Controller()
class SessionUserController {
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse, @Body() body: { id: string }) {
    return { csrfToken: await loginSession(request, { id: body.id }, { response }) };
  }

  @Get('current')
  current(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }
}

function sessionUserModule(calls: string[]): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new SessionAuthentication()],
        userLoader: (context) => load(context, calls),
        userLoaderTimeoutMs: TIMEOUT_MS,
        tokens: { secret: SECRET, cookies: { secure: false } },
      }),
    ],
    controllers: [SessionUserController],
  })
  class SessionUserModule {}
  return SessionUserModule;
}

describe.each(ADAPTERS)('userLoader contract behind SessionAuthentication (%s)', (adapter) => {
  let t: TestApp;
  const calls: string[] = [];
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [sessionUserModule(calls)] }, (app) => registerSessions(adapter, app));
  });
  afterAll(() => t.close());
  beforeEach(() => {
    calls.length = 0;
  });

  const session = async (id: string): Promise<string> => {
    const res = await t.http.post('/login').send({ id });
    expect(res.status).toBe(200);
    const all = [res.headers['set-cookie'] ?? []].flat() as string[];
    const name = cookieName(adapter);
    const found = all.filter((cookie) => cookie.startsWith(`${name}=`) && !cookie.startsWith(`${name}=;`)).at(-1);
    return found!.split(';')[0]!;
  };

  it('a live user: 200, loaded once for authentication and reused by @CurrentUser()', async () => {
    const res = await t.http.get('/current').set('cookie', await session('7'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: '7', name: 'user-7' } });
    expect(calls).toEqual(['7']);
  });

  it.each(['throws', 'rejects'])('a loader that %s: 503 auth_unavailable', async (id) => {
    const res = await t.http.get('/current').set('cookie', await session(id));
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'auth_unavailable', message: 'The user loader did not answer' });
  });

  it('a loader that never settles: 503 after userLoaderTimeoutMs', async () => {
    const res = await t.http
      .get('/current')
      .set('cookie', await session('hangs'))
      .timeout(5000);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
  });

  it('a user gone since login: 401 session_invalid (the session backend checks the user on every request)', async () => {
    const res = await t.http.get('/current').set('cookie', await session('gone'));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('session_invalid');
  });
});

describe('start-up refusals: userLoaderTimeoutMs and setup() results', () => {
  const boot = async (options: AuthModuleOptions): Promise<void> => {
    @Module({ imports: [AuthModule.forRoot(options)], controllers: [UserController] })
    class BootModule {}
    const t = await startApp('express', { imports: [BootModule] });
    await t.close();
  };
  const jwt = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });

  it.each([0, -1, 1.5, Number.NaN, Infinity, 2 ** 31, '2000'])('userLoaderTimeoutMs %s: TypeError at start-up', async (value) => {
    await expect(boot({ authentication: [jwt], userLoader: () => null, userLoaderTimeoutMs: value as number })).rejects.toThrow(
      /`userLoaderTimeoutMs` must be a whole number of milliseconds > 0 \(default 2000\)/,
    );
  });

  it('a custom setup() that returns something other than a backend: TypeError naming the backend', async () => {
    const odd = { name: 'odd', authenticate: () => null, setup: () => ({ not: 'a backend' }) as never };
    await expect(boot({ authentication: [odd] })).rejects.toThrow(
      /the setup\(\) of backend "odd" returned something that is not a backend/,
    );
  });

  it('a custom setup() that returns nothing: the backend serves as itself', async () => {
    const plain = { name: 'plain', authenticate: () => ({ userId: 'p' }), setup: () => undefined };
    @Module({ imports: [AuthModule.forRoot({ authentication: [plain] })], controllers: [UserController] })
    class PlainModule {}
    const t = await startApp('fastify', { imports: [PlainModule] });
    try {
      const res = await t.http.get('/context');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: 'p' });
    } finally {
      await t.close();
    }
  });
});
