import { Controller, Get, HttpCode, Module, Post, Res } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthContext,
  AuthModule,
  JwtAuthentication,
  Public,
  TokenService,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

const SECRET = 'cookie-transport-secret-of-32-bytes-or-more';

@Controller()
class WebController {
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

  @Post('notes')
  @HttpCode(201)
  note(): { saved: boolean } {
    return { saved: true };
  }

  @Public()
  @Post('logout')
  @HttpCode(200)
  logout(@Res({ passthrough: true }) response: CookieResponse): { ok: boolean } {
    this.tokens.clearAuthCookies(response);
    return { ok: true };
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cookie: 'access_token' })],
      tokens: { secret: SECRET, accessTtl: 900, refreshTtl: 86_400, cookies: { secure: false, refreshPath: '/auth/refresh' } },
    }),
  ],
  controllers: [WebController],
})
class CookieAppModule {}

interface Login {
  cookies: Record<string, string>;
  header: string;
  raw: string[];
}

describe.each(ADAPTERS)('cookie transport and CSRF (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [CookieAppModule] });
  });
  afterAll(() => t.close());

  const login = async (): Promise<Login> => {
    const res = await t.http.post('/login');
    const raw = res.headers['set-cookie'] as unknown as string[];
    const cookies = Object.fromEntries(raw.map((c) => c.split(';')[0]!.split('=') as [string, string]));
    return { cookies, raw, header: `access_token=${cookies.access_token}` };
  };

  it('sets HttpOnly access and refresh cookies with their lifetimes, and a readable CSRF cookie', async () => {
    const { raw } = await login();
    const find = (name: string): string => raw.find((c) => c.startsWith(`${name}=`))!;
    expect(find('access_token')).toMatch(/Max-Age=900; Path=\/; HttpOnly; SameSite=Lax/);
    expect(find('refresh_token')).toMatch(/Max-Age=86400; Path=\/auth\/refresh; HttpOnly; SameSite=Lax/);
    expect(find('csrf_token')).not.toMatch(/HttpOnly/);
    expect(find('access_token')).not.toMatch(/Secure/);
  });

  it('authenticates from the cookie on safe methods', async () => {
    const { header } = await login();
    expect((await t.http.get('/me').set('cookie', header)).body).toEqual({ userId: 'u1' });
  });

  it('an unsafe cookie request needs the CSRF header: missing or from another login → 403 csrf_failed', async () => {
    const mine = await login();
    const other = await login();
    const missing = await t.http.post('/notes').set('cookie', mine.header);
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe('csrf_failed');
    const foreign = await t.http.post('/notes').set('cookie', mine.header).set('x-csrf-token', other.cookies.csrf_token!);
    expect(foreign.body.code).toBe('csrf_failed');
    const ok = await t.http.post('/notes').set('cookie', mine.header).set('x-csrf-token', mine.cookies.csrf_token!);
    expect(ok.status).toBe(201);
  });

  it('bearer requests are not subject to CSRF', async () => {
    const { cookies } = await login();
    expect((await t.http.post('/notes').set('authorization', `Bearer ${cookies.access_token}`)).status).toBe(201);
  });

  it('clearAuthCookies expires the three cookies', async () => {
    const raw = (await t.http.post('/logout')).headers['set-cookie'] as unknown as string[];
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect(raw.find((c) => c.startsWith(`${name}=;`))).toMatch(/Max-Age=0/);
    }
  });
});
