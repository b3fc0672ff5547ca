import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule, JWT_SECRET } from '../../sample/src/app.module.js';
import { hs } from '../utils/tokens.js';
import { configureSample } from '../../sample/src/setup.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

describe.each(ADAPTERS)('the sample app answers as the README shows (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      await configureSample(app);
    });
  });
  afterAll(() => t.close());

  const login = async (username: string, password: string): Promise<string> => {
    const res = await t.http.post('/auth/login').send({ username, password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    return res.body.access_token as string;
  };

  it('GET /hello is public', async () => {
    expect((await t.http.get('/hello')).body).toEqual({ message: 'Hello, anyone' });
  });

  it('POST /auth/login refuses a wrong password', async () => {
    expect((await t.http.post('/auth/login').send({ username: 'bob', password: 'nope' })).status).toBe(401);
  });

  it('GET /me returns the user loaded through the userLoader, without the password hash', async () => {
    const token = await login('bob', 'bob-password');
    const res = await t.http.get('/me').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: 2, username: 'bob' });
    expect(res.body.user.passwordHash).toBeUndefined();
    expect((await t.http.get('/me')).body.code).toBe('credentials_missing');
  });

  it('GET /audit: a service reads the caller through AuthContextService', async () => {
    const bob = await login('bob', 'bob-password');
    expect((await t.http.get('/audit').set('authorization', `Bearer ${bob}`)).body).toEqual({
      action: 'viewed the audit route',
      by: '2',
      backend: 'jwt',
    });
    expect((await t.http.get('/audit')).status).toBe(401);
  });

  it('GET /reports needs reports:read; GET /admin needs a superuser', async () => {
    const bob = await login('bob', 'bob-password');
    const carol = await login('carol', 'carol-password');
    const alice = await login('alice', 'alice-password');
    expect((await t.http.get('/reports').set('authorization', `Bearer ${bob}`)).status).toBe(200);
    expect((await t.http.get('/reports').set('authorization', `Bearer ${carol}`)).body.code).toBe('permission_denied');
    expect((await t.http.get('/admin').set('authorization', `Bearer ${bob}`)).status).toBe(403);
    expect((await t.http.get('/admin').set('authorization', `Bearer ${alice}`)).body).toEqual({ message: 'Welcome, admin' });
  });

  it('sessions: POST /session/login, GET /session/me, POST /session/logout (with the CSRF header)', async () => {
    const agent = request.agent(t.url);
    expect((await agent.post('/session/login').send({ username: 'bob', password: 'wrong' })).status).toBe(401);
    const login = await agent.post('/session/login').send({ username: 'bob', password: 'bob-password' });
    expect(login.status).toBe(200);
    const csrf = (login.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('csrf_token='))!
      .split(';')[0]!
      .slice(11);
    const me = await agent.get('/session/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: 2, username: 'bob' });
    // The session cookie alone, as a cross-site form would send it: refused.
    const forged = await agent.post('/session/logout').set('content-type', 'application/x-www-form-urlencoded').send('x=1');
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf_failed');
    expect((await agent.get('/session/me')).status).toBe(200);
    expect((await agent.post('/session/logout').set('x-csrf-token', csrf)).status).toBe(200);
    expect((await agent.get('/session/me')).body.code).toBe('credentials_missing');
  });

  it('HTTP Basic through passport: GET /basic/me', async () => {
    expect((await t.http.get('/basic/me').auth('bob', 'bob-password')).body.user).toMatchObject({ username: 'bob' });
    expect((await t.http.get('/basic/me').auth('bob', 'nope')).body.code).toBe('token_invalid');
  });

  it('refresh, replayed refresh, logout and logout-all as the README shows', async () => {
    const pair = (await t.http.post('/auth/login').send({ username: 'bob', password: 'bob-password' })).body;
    const next = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(next.status).toBe(200);
    expect((await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })).body.code).toBe('token_reused');
    expect((await t.http.get('/me').set('authorization', `Bearer ${next.body.access_token}`)).body.code).toBe('token_revoked');

    const other = (await t.http.post('/auth/login').send({ username: 'carol', password: 'carol-password' })).body;
    expect((await t.http.post('/auth/logout').set('authorization', `Bearer ${other.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me').set('authorization', `Bearer ${other.access_token}`)).body.code).toBe('token_revoked');

    const alice = (await t.http.post('/auth/login').send({ username: 'alice', password: 'alice-password' })).body;
    expect((await t.http.post('/auth/logout-all').set('authorization', `Bearer ${alice.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me').set('authorization', `Bearer ${alice.access_token}`)).body.code).toBe('token_revoked');
    // No waiting: a login right after logout-all, in the same second, works.
    const again = (await t.http.post('/auth/login').send({ username: 'alice', password: 'alice-password' })).body;
    expect((await t.http.get('/me').set('authorization', `Bearer ${again.access_token}`)).status).toBe(200);
  });

  it('POST /auth/login validates its body: 400 naming the field; no array coercion; text/plain refused', async () => {
    const cases: Array<[string, () => ReturnType<typeof t.http.post>, RegExp]> = [
      ['no body', () => t.http.post('/auth/login'), /username/],
      ['no password', () => t.http.post('/auth/login').send({ username: 'bob' }), /password/],
      ['arrays', () => t.http.post('/auth/login').send({ username: ['bob'], password: ['bob-password'] }), /username must be a string/],
      ['a number', () => t.http.post('/auth/login').send({ username: 'bob', password: 12345 }), /password must be a string/],
      [
        'text/plain',
        () => t.http.post('/auth/login').set('content-type', 'text/plain').send('username=bob&password=bob-password'),
        /username/,
      ],
    ];
    for (const [what, send, field] of cases) {
      const res = await send();
      expect(res.status, what).toBe(400);
      expect(JSON.stringify(res.body.message), what).toMatch(field);
      expect(res.body.access_token, what).toBeUndefined();
    }
    // The OAuth2 password-grant form still logs in.
    const form = await t.http.post('/auth/login').type('form').send({ grant_type: 'password', username: 'bob', password: 'bob-password' });
    expect(form.status).toBe(200);
    expect(form.body.token_type).toBe('bearer');
  });

  it('POST /auth/logout ends a bearer login even once its access token expired; twice answers 200', async () => {
    const pair = (await t.http.post('/auth/login').send({ username: 'bob', password: 'bob-password' })).body;
    const claims = JSON.parse(Buffer.from(pair.access_token.split('.')[1], 'base64url').toString());
    const expired = hs({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }, JWT_SECRET);
    expect((await t.http.get('/me').set('authorization', `Bearer ${expired}`)).body.code).toBe('token_expired');
    for (let i = 0; i < 2; i++) expect((await t.http.post('/auth/logout').set('authorization', `Bearer ${expired}`)).status).toBe(200);
    expect((await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/logout')).status).toBe(200);
  });

  it('POST /web/logout ends a cookie login (CSRF header required), with or without the access cookie', async () => {
    for (const withAccess of [true, false]) {
      const login = await t.http.post('/web/login').send({ username: 'bob', password: 'bob-password' });
      expect(login.status).toBe(200);
      const set = login.headers['set-cookie'] as unknown as string[];
      const value = (name: string): string =>
        set
          .find((c) => c.startsWith(`${name}=`))!
          .split(';')[0]!
          .slice(name.length + 1);
      expect(set.find((c) => c.startsWith('refresh_token='))).toMatch(/Path=\/web(;|$)/);
      const jar = `${withAccess ? `access_token=${value('access_token')}; ` : ''}refresh_token=${value('refresh_token')}; csrf_token=${value('csrf_token')}`;
      expect((await t.http.post('/web/logout').set('cookie', jar)).body.code).toBe('csrf_failed');
      const out = await t.http.post('/web/logout').set('cookie', jar).set('x-csrf-token', value('csrf_token'));
      expect(out.status).toBe(200);
      const refreshed = await t.http.post('/web/refresh').set('cookie', `refresh_token=${value('refresh_token')}`);
      expect(refreshed.body.code).toBe('token_revoked');
      expect((await t.http.post('/web/logout').set('x-csrf-token', value('csrf_token'))).status).toBe(200);
    }
  });

  it('GET /internal with the API key', async () => {
    const ok = await t.http.get('/internal').set('x-api-key', 'sample-internal-key-change-me');
    expect(ok.body).toEqual({ service: 'reporting-service', status: 'ok' });
    expect((await t.http.get('/internal').set('x-api-key', 'wrong-key')).body.code).toBe('api_key_invalid');
  });
});
