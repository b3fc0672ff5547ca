import fastifyCookie from '@fastify/cookie';
import { Controller, Get, HttpCode, Module, Post, Req, Res, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import cookieParser from 'cookie-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthContext,
  AuthModule,
  JwtAuthentication,
  Public,
  TokenService,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../utils/app.js';

const SECRET = 'cookie-values-secret-of-at-least-32-bytes!';

@Controller()
class ValuesController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Res({ passthrough: true }) response: CookieResponse): { ok: boolean } {
    this.tokens.setAuthCookies(response, this.tokens.createTokenPair({ id: 'u1' }));
    return { ok: true };
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }

  /** What the adapter's cookie parser made of the access cookie: the test's precondition. */
  @Public()
  @Get('parsed')
  parsed(@Req() request: AuthRequest): { type: string } {
    return { type: typeof (request.cookies as Record<string, unknown> | undefined)?.access_token };
  }

  @Post('notes')
  @HttpCode(201)
  note(): { saved: boolean } {
    return { saved: true };
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cookie: 'access_token' })],
      tokens: { secret: SECRET, cookies: { secure: false } },
    }),
  ],
  controllers: [ValuesController],
})
class ValuesAppModule {}

/**
 * The adapter's own cookie parser, set up to turn a value into an object: cookie-parser's
 * JSON cookies (`j:{…}`) on Express; on Fastify, @fastify/cookie with a `decode` that parses
 * JSON, which an app may configure.
 */
async function registerParsers(adapter: AdapterName, app: INestApplication): Promise<void> {
  if (adapter === 'express') {
    app.use(cookieParser());
    return;
  }
  // cookie-parser's JSON cookies, done the Fastify way.
  const decode = (value: string): unknown => {
    const text = decodeURIComponent(value);
    try {
      return text.startsWith('j:') ? JSON.parse(text.slice(2)) : text;
    } catch {
      return text;
    }
  };
  await (app as NestFastifyApplication).register(fastifyCookie as never, { parseOptions: { decode } });
}

describe.each(ADAPTERS)('cookie values the parsers hand over (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [ValuesAppModule] }, (app) => registerParsers(adapter, app));
  });
  afterAll(() => t.close());

  it('a cookie that the parser turns into an object (j:{…}): 401 token_malformed, not a 500', async () => {
    const cookie = `access_token=${encodeURIComponent('j:{"a":1}')}`;
    expect((await t.http.get('/parsed').set('cookie', cookie)).body).toEqual({ type: 'object' });
    const res = await t.http.get('/me').set('cookie', cookie);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_malformed');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    const post = await t.http.post('/notes').set('cookie', 'access_token=j:{"a":1}');
    expect(post.status).toBe(401);
    expect(post.body.code).toBe('token_malformed');
  });

  it('the access cookie sent twice (cookie tossing from a sibling domain): 400 invalid_request', async () => {
    const login = await t.http.post('/login');
    const access = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('access_token='))!.split(';')[0]!;
    expect((await t.http.get('/me').set('cookie', access)).body).toEqual({ userId: 'u1' });
    for (const cookie of [`${access}; ${access}`, `access_token=attacker; ${access}`, `${access}; theme=dark; access_token=x`]) {
      const res = await t.http.get('/me').set('cookie', cookie);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_request');
    }
  });

  it('with a parser registered, a valid cookie works, and an unsafe request still needs its CSRF token', async () => {
    const login = await t.http.post('/login');
    const set = login.headers['set-cookie'] as unknown as string[];
    const value = (name: string): string =>
      set
        .find((c) => c.startsWith(`${name}=`))!
        .split(';')[0]!
        .slice(name.length + 1);
    const cookie = `access_token=${value('access_token')}; csrf_token=${value('csrf_token')}`;
    expect((await t.http.get('/me').set('cookie', cookie)).body).toEqual({ userId: 'u1' });
    expect((await t.http.post('/notes').set('cookie', cookie)).body.code).toBe('csrf_failed');
    expect((await t.http.post('/notes').set('cookie', cookie).set('x-csrf-token', value('csrf_token'))).status).toBe(201);
  });
});
