import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Injectable, Module, Post, Res, type Type } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Auth,
  AuthContext,
  AuthModule,
  Public,
  readCookie,
  SessionInvalidError,
  type AuthenticationBackend,
  type AuthRequest,
  type CookieAuthResult,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

interface Login {
  userId: string;
  /** `null`: a login made before CSRF tokens were handed out. */
  csrfToken: string | null;
}

/** The app's own login store (a database table in a real app). */
@Injectable()
class Logins {
  readonly byId = new Map<string, Login>();
}

/** A custom backend whose credential travels in a cookie: it declares so by returning a CSRF token. */
@Injectable()
class OpaqueCookieAuthentication implements AuthenticationBackend {
  readonly name = 'opaque_cookie';
  constructor(private readonly logins: Logins) {}

  authenticate(request: AuthRequest): CookieAuthResult | null {
    const id = readCookie(request, 'sid');
    if (id === undefined) return null;
    const login = this.logins.byId.get(id);
    if (login === undefined) throw new SessionInvalidError();
    return { userId: login.userId, csrfToken: login.csrfToken };
  }
}

@Controller()
class OpaqueController {
  constructor(private readonly logins: Logins) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(
    @Body() body: { user: string; legacy?: boolean },
    @Res({ passthrough: true }) response: CookieResponse,
  ): { csrfToken: string | null } {
    const id = randomBytes(16).toString('hex');
    const csrfToken = body.legacy === true ? null : randomBytes(32).toString('base64url');
    this.logins.byId.set(id, { userId: body.user, csrfToken });
    const cookie = `sid=${id}; Path=/; HttpOnly; SameSite=Lax`;
    if (response.append !== undefined) response.append('Set-Cookie', cookie);
    else response.header?.('set-cookie', cookie);
    return { csrfToken };
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null; backend: string | null } {
    return { userId: context.userId, backend: context.authBackend };
  }

  @Post('transfer')
  @HttpCode(201)
  transfer(@AuthContext() context: RequestContext): { done: boolean; by: string | null } {
    return { done: true, by: context.userId };
  }

  /** The same backend given per handler (`@Auth`): the check is the guard's, whoever declared the backend. */
  @Auth({ authentication: [OpaqueCookieAuthentication] })
  @Post('handler-level')
  @HttpCode(201)
  handlerLevel(): { done: boolean } {
    return { done: true };
  }
}

function opaqueAppModule(): Type<unknown> {
  @Module({
    imports: [AuthModule.forRoot({ authentication: [OpaqueCookieAuthentication] })],
    controllers: [OpaqueController],
    providers: [Logins, OpaqueCookieAuthentication],
  })
  class OpaqueAppModule {}
  return OpaqueAppModule;
}

describe.each(ADAPTERS)('a custom backend with a cookie-borne credential gets CSRF too (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [opaqueAppModule()] });
  });
  afterAll(() => t.close());

  const login = async (user: string, legacy = false): Promise<{ sid: string; csrf: string | null }> => {
    const res = await t.http.post('/login').send({ user, legacy });
    const set = res.headers['set-cookie'] as unknown as string[];
    return { sid: set.find((c) => c.startsWith('sid='))!.split(';')[0]!, csrf: res.body.csrfToken };
  };

  it('reads pass without the header', async () => {
    const { sid } = await login('ann');
    expect((await t.http.get('/me').set('cookie', sid)).body).toEqual({ userId: 'ann', backend: 'opaque_cookie' });
  });

  it('a cross-site form POST with only the cookie: 403 csrf_failed; with its token: 201', async () => {
    const { sid, csrf } = await login('ann');
    const forged = await t.http
      .post('/transfer')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('cookie', sid)
      .send('to=eve');
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf_failed');
    const ok = await t.http.post('/transfer').set('cookie', sid).set('x-csrf-token', csrf!);
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ done: true, by: 'ann' });
    expect((await t.http.post('/handler-level').set('cookie', sid)).body.code).toBe('csrf_failed');
    expect((await t.http.post('/handler-level').set('cookie', sid).set('x-csrf-token', csrf!)).status).toBe(201);
  });

  it("another login's token: 403 csrf_failed", async () => {
    const mine = await login('ann');
    const other = await login('eve');
    const res = await t.http.post('/transfer').set('cookie', mine.sid).set('x-csrf-token', other.csrf!);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_failed');
  });

  it('a login without a CSRF token (csrfToken: null): every unsafe request refused, reads pass', async () => {
    const { sid } = await login('old', true);
    expect((await t.http.get('/me').set('cookie', sid)).status).toBe(200);
    for (const header of ['null', '']) {
      const res = await t.http.post('/transfer').set('cookie', sid).set('x-csrf-token', header);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('csrf_failed');
    }
  });

  it('readCookie: an unknown cookie is the backend’s own error; the cookie sent twice is 400 invalid_request', async () => {
    expect((await t.http.get('/me').set('cookie', 'sid=unknown')).body.code).toBe('session_invalid');
    const { sid } = await login('ann');
    const twice = await t.http.get('/me').set('cookie', `${sid}; sid=planted`);
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('invalid_request');
  });
});
