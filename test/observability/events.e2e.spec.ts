import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthEvents, type AuthEvent } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { API_KEY, PASSWORD, SECRET, observedModule } from './observability-app.js';

/** Issue 18, item 1: every event through real requests, on Express and Fastify. */
describe.each(ADAPTERS)('AuthEvents (%s)', (adapter) => {
  let t: TestApp;
  let events: AuthEvents;
  let seen: AuthEvent[];
  let unsubscribe: () => void;
  beforeAll(async () => {
    t = await startApp(adapter, observedModule());
    events = t.app.get(AuthEvents);
  });
  afterAll(() => t.close());
  afterEach(() => {
    unsubscribe?.();
    vi.restoreAllMocks();
  });
  const listen = (): void => {
    seen = [];
    unsubscribe = events.subscribe((event) => seen.push(event));
  };
  const login = async (username = 'ada'): Promise<{ access_token: string; refresh_token: string }> => {
    const res = await t.http.post('/login').send({ username, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const familyOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).fam as string;

  it('is injectable, inactive without listeners, and active while one is subscribed', () => {
    expect(events).toBeInstanceOf(AuthEvents);
    expect(events.active).toBe(false);
    const stop = events.subscribe(() => undefined);
    expect(events.active).toBe(true);
    stop();
    stop();
    expect(events.active).toBe(false);
  });

  it('login, authenticated (with backend, route and time), refresh, reuse, logout', async () => {
    listen();
    const pair = await login('ada');
    const family = familyOf(pair.access_token);
    expect(seen).toEqual([{ type: 'login', userId: 'ada', family }]);

    seen.length = 0;
    expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect(seen).toEqual([
      { type: 'authenticated', backend: 'jwt', userId: 'ada', route: 'ObservedController.me', durationMs: expect.any(Number) },
    ]);
    expect((seen[0] as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);

    seen.length = 0;
    const next = await t.http.post('/refresh').send({ refresh_token: pair.refresh_token });
    expect(next.status).toBe(200);
    expect(seen).toEqual([{ type: 'refresh', userId: 'ada', family }]);

    seen.length = 0;
    const replay = await t.http.post('/refresh').send({ refresh_token: pair.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('token_reused');
    expect(seen).toEqual([
      { type: 'refresh.reused', userId: 'ada', family },
      // A handler's refusal: no guard time, the route is the handler's.
      {
        type: 'auth.refused',
        code: 'token_reused',
        status: 401,
        backend: null,
        route: 'ObservedController.refresh',
        context: 'http',
        durationMs: null,
      },
    ]);

    const other = await login('bob');
    seen.length = 0;
    const out = await t.http.post('/logout').set('authorization', `Bearer ${other.access_token}`);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    const otherFamily = familyOf(other.access_token);
    expect(seen).toEqual([
      { type: 'revoked', userId: 'bob', jti: expect.any(String), family: otherFamily },
      { type: 'logout', userId: 'bob', family: otherFamily },
    ]);
  });

  it('logout-all and revoke', async () => {
    const pair = await login('cy');
    listen();
    expect((await t.http.post('/logout-all').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect(seen.filter((e) => e.type !== 'authenticated')).toEqual([{ type: 'logout.all', userId: 'cy', except: null }]);

    const second = await login('dee');
    seen.length = 0;
    const res = await t.http.post('/revoke').set('x-api-key', API_KEY).send({ token: second.access_token });
    expect(res.status).toBe(200);
    expect(seen).toEqual([
      {
        type: 'authenticated',
        backend: 'api_key',
        userId: expect.anything(),
        route: 'ObservedController.revoke',
        durationMs: expect.any(Number),
      },
      { type: 'revoked', userId: 'dee', jti: expect.any(String), family: familyOf(second.access_token) },
    ]);
  });

  it('auth.refused: code, status, the backend that refused, the route, the guard time; never the token', async () => {
    listen();
    const forged = hs(claims({ sub: 'eve' }), 'x'.repeat(32));
    const expired = hs(claims({ sub: 'eve', iat: 1000, exp: 2000 }), SECRET);
    const cases: Array<[Record<string, string>, string, number, string | null]> = [
      [{}, 'credentials_missing', 401, null],
      [{ authorization: `Bearer ${forged}` }, 'token_invalid', 401, 'jwt'],
      [{ authorization: `Bearer ${expired}` }, 'token_expired', 401, 'jwt'],
      [{ authorization: 'Bearer not-a-jwt' }, 'token_malformed', 401, 'jwt'],
      [{ 'x-api-key': 'wrong-key' }, 'api_key_invalid', 401, 'api_key'],
    ];
    for (const [headers, code, status, backend] of cases) {
      seen.length = 0;
      const res = await t.http.get('/me').set(headers);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(seen).toEqual([
        { type: 'auth.refused', code, status, backend, route: 'ObservedController.me', context: 'http', durationMs: expect.any(Number) },
      ]);
      expect(JSON.stringify(seen)).not.toContain(forged);
      expect(JSON.stringify(seen)).not.toContain(expired);
    }
  });

  it('permission.denied: the user and backend, 403', async () => {
    const pair = await login('fay');
    listen();
    const res = await t.http.get('/admin').set('authorization', `Bearer ${pair.access_token}`);
    expect(res.status).toBe(403);
    expect(seen).toEqual([
      {
        type: 'permission.denied',
        code: 'permission_denied',
        backend: 'jwt',
        userId: 'fay',
        route: 'ObservedController.admin',
        context: 'http',
        durationMs: expect.any(Number),
      },
    ]);
    seen.length = 0;
    expect((await t.http.get('/admin').set('x-api-key', API_KEY)).status).toBe(200);
    expect(seen).toMatchObject([{ type: 'authenticated', backend: 'api_key', route: 'ObservedController.admin' }]);
  });

  it('a public route emits nothing; a cookie-borne token is reported as jwt', async () => {
    const pair = await login('gil');
    listen();
    expect((await t.http.post('/logout')).status).toBe(200);
    expect(seen).toEqual([]);
    const res = await t.http.get('/me').set('cookie', `access_token=${pair.access_token}`);
    expect(res.status).toBe(200);
    expect(seen).toMatchObject([{ type: 'authenticated', backend: 'jwt', userId: 'gil' }]);
  });

  it('a listener that throws never breaks a request, is logged once, and the others still receive', async () => {
    const errors = vi
      .spyOn((events as unknown as { logger: { error: (m: string) => void } }).logger, 'error')
      .mockImplementation(() => undefined);
    const stopThrowing = events.subscribe(() => {
      throw new Error('listener bug');
    });
    listen();
    const pair = await login('hal');
    for (let i = 0; i < 3; i++) expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me')).status).toBe(401);
    stopThrowing();
    expect(seen.map((e) => e.type)).toEqual(['login', 'authenticated', 'authenticated', 'authenticated', 'auth.refused']);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0]![0]).toContain('listener bug');
  });

  it('without listeners, a request builds no event: emit() is not even called', async () => {
    const pair = await login('ivy');
    const emit = vi.spyOn(events, 'emit');
    expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me')).status).toBe(401);
    expect((await t.http.get('/admin').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(403);
    expect((await t.http.post('/refresh').send({ refresh_token: pair.refresh_token })).status).toBe(200);
    expect(emit).not.toHaveBeenCalled();
  });
});
