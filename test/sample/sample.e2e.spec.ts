import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
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
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    expect((await t.http.post('/auth/logout-all').set('authorization', `Bearer ${alice.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me').set('authorization', `Bearer ${alice.access_token}`)).body.code).toBe('token_revoked');
  });

  it('GET /internal with the API key', async () => {
    const ok = await t.http.get('/internal').set('x-api-key', 'sample-internal-key-change-me');
    expect(ok.body).toEqual({ service: 'reporting-service', status: 'ok' });
    expect((await t.http.get('/internal').set('x-api-key', 'wrong-key')).body.code).toBe('api_key_invalid');
  });
});
