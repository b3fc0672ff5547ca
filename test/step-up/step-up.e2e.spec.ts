import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthenticatedWithin,
  AuthModule,
  JwtAuthentication,
  Public,
  RequiresAcr,
  TokenService,
  type RequestContext,
  type TokenPair,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs, now } from '../utils/tokens.js';

const SECRET = 'step-up-secret-step-up-secret-step-up!!';
const API_KEY = 'step-up-api-key-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

@Controller()
class AccountController {
  constructor(private readonly tokens: TokenService) {}

  @Post('login')
  @Public()
  login(@Body() body: { acr?: string }): TokenPair {
    // What an app's login does after checking a password (acr 'pwd') or a second factor (acr 'mfa').
    return this.tokens.createTokenPair(
      { id: 7, username: 'ada' },
      { extraClaims: { acr: body.acr ?? 'pwd', amr: body.acr === 'mfa' ? ['pwd', 'otp'] : ['pwd'] } },
    );
  }

  @Post('refresh')
  @Public()
  refresh(@Body() body: { refresh_token: string }): Promise<TokenPair> {
    return this.tokens.refresh(body.refresh_token);
  }

  @Get('profile')
  profile(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }

  @Post('password')
  @Auth({ guards: [AuthenticatedWithin(1)] })
  changePassword(): { changed: true } {
    return { changed: true };
  }

  @Get('recent')
  @Auth({ guards: [AuthenticatedWithin(300)] })
  recent(): { ok: true } {
    return { ok: true };
  }

  @Post('transfer')
  @Auth({ guards: [RequiresAcr('mfa', 'phr')] })
  transfer(): { sent: true } {
    return { sent: true };
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] }), new ApiKeyAuthentication({ keys: [API_KEY] })],
      tokens: { secret: SECRET },
    }),
  ],
  controllers: [AccountController],
})
class StepUpModule {}

describe.each(ADAPTERS)('step-up authentication, RFC 9470 (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [StepUpModule] });
  });
  afterAll(() => t.close());

  const login = async (acr?: string): Promise<TokenPair> => (await t.http.post('/login').send(acr === undefined ? {} : { acr })).body;
  const expectStepUp = (res: { status: number; body: { code?: string }; headers: Record<string, string> }, parameter: string) => {
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'insufficient_user_authentication' });
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="insufficient_user_authentication", error_description="[^"]+", /,
    );
    expect(res.headers['www-authenticate']!.endsWith(parameter)).toBe(true);
  };

  it('a login within N seconds passes; past it, 401 with max_age=N; a refresh does not make the login recent again', async () => {
    const pair = await login();
    expect((await t.http.post('/password').set('authorization', `Bearer ${pair.access_token}`)).body).toEqual({ changed: true });
    await sleep(2100);
    expectStepUp(await t.http.post('/password').set('authorization', `Bearer ${pair.access_token}`), ', max_age=1');
    const refreshed: TokenPair = (await t.http.post('/refresh').send({ refresh_token: pair.refresh_token })).body;
    expect(payloadOf(refreshed.access_token).auth_time).toBe(payloadOf(pair.access_token).auth_time);
    expectStepUp(await t.http.post('/password').set('authorization', `Bearer ${refreshed.access_token}`), ', max_age=1');
    // The refreshed token is otherwise fine: other routes take it, and a route with a wider window too.
    expect((await t.http.get('/profile').set('authorization', `Bearer ${refreshed.access_token}`)).status).toBe(200);
    expect((await t.http.get('/recent').set('authorization', `Bearer ${refreshed.access_token}`)).status).toBe(200);
    // Logging in again satisfies it.
    const again = await login();
    expect((await t.http.post('/password').set('authorization', `Bearer ${again.access_token}`)).status).toBe(201);
  });

  it('acr: a password login is asked for acr_values="mfa phr"; an MFA login passes, and its refreshes keep acr and amr', async () => {
    const weak = await login('pwd');
    expectStepUp(await t.http.post('/transfer').set('authorization', `Bearer ${weak.access_token}`), ', acr_values="mfa phr"');
    const strong = await login('mfa');
    expect((await t.http.post('/transfer').set('authorization', `Bearer ${strong.access_token}`)).body).toEqual({ sent: true });
    const refreshed: TokenPair = (await t.http.post('/refresh').send({ refresh_token: strong.refresh_token })).body;
    expect(payloadOf(refreshed.access_token)).toMatchObject({ acr: 'mfa', amr: ['pwd', 'otp'] });
    expect((await t.http.post('/transfer').set('authorization', `Bearer ${refreshed.access_token}`)).status).toBe(201);
  });

  it.each([
    ['no auth_time', { acr: 'mfa' }, '/recent'],
    ['auth_time as a string', { auth_time: String(now()) }, '/recent'],
    ['auth_time too old (an OpenID token)', { auth_time: now() - 301 }, '/recent'],
    ['auth_time in the future (past the 5 s of clock skew)', { auth_time: now() + 60 }, '/recent'],
    ['auth_time far in the future (recent forever)', { auth_time: now() + 10 * 365 * 86400 }, '/recent'],
    ['auth_time at the largest number', { auth_time: Number.MAX_SAFE_INTEGER }, '/recent'],
    ['no acr', { auth_time: now() }, '/transfer'],
    ['acr as an array holding mfa', { acr: ['mfa'] }, '/transfer'],
    ['acr in another case', { acr: 'MFA' }, '/transfer'],
  ])('a token with %s is asked to step up', async (_, extra, path) => {
    const token = hs(claims(extra), SECRET);
    const request = path === '/recent' ? t.http.get(path) : t.http.post(path);
    const res = await request.set('authorization', `Bearer ${token}`);
    expectStepUp(res, path === '/recent' ? ', max_age=300' : ', acr_values="mfa phr"');
  });

  it('a token from another issuer with a recent auth_time and a listed acr passes', async () => {
    const token = hs(claims({ auth_time: now() - 10, acr: 'phr' }), SECRET);
    expect((await t.http.get('/recent').set('authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await t.http.post('/transfer').set('authorization', `Bearer ${token}`)).status).toBe(201);
  });

  it("an auth_time a few seconds ahead (the issuer's clock runs fast) is recent: within AUTH_TIME_SKEW_SECONDS", async () => {
    const token = hs(claims({ auth_time: now() + 3 }), SECRET);
    expect((await t.http.get('/recent').set('authorization', `Bearer ${token}`)).status).toBe(200);
  });

  it('anonymous: 401 credentials_missing (log in first); an API key, which has no login time: asked to step up', async () => {
    const anonymous = await t.http.post('/transfer');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe('credentials_missing');
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    expectStepUp(await t.http.get('/recent').set('x-api-key', API_KEY), ', max_age=300');
  });

  it('a bad token is still token_invalid, never a step-up challenge', async () => {
    const res = await t.http
      .get('/recent')
      .set('authorization', `Bearer ${hs(claims({ auth_time: now() }), 'another-secret-another-secret-another!')}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });
});

describe('step-up guards refuse bad arguments at start-up', () => {
  it.each([[-1], [1.5], [Number.NaN], ['60' as unknown as number]])('AuthenticatedWithin(%j)', (seconds) => {
    expect(() => AuthenticatedWithin(seconds)).toThrow(/whole number of seconds/);
  });

  it.each([[[]], [['']], [['two words']], [['quo"te']], [['back\\slash']], [[7 as unknown as string]]])('RequiresAcr(...%j)', (values) => {
    expect(() => RequiresAcr(...values)).toThrow(/RequiresAcr\(\) needs at least one acr value/);
  });

  it('passed uncalled to @UseGuards(), the factory says to call it', () => {
    expect(() => new (AuthenticatedWithin as unknown as new () => unknown)()).toThrow(/guard factory, not a guard class/);
  });
});
