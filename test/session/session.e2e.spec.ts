import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { useRedis } from '../utils/redis.js';
import { cookieName, registerSessions, sessionModule, USERS } from './session-app.js';

function sessionCookie(setCookie: string[] | string | undefined, name: string): string {
  const all = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  // Fastify clears the old cookie before setting the regenerated one: take the last real value.
  const found = all.filter((cookie) => cookie.startsWith(`${name}=`) && !cookie.startsWith(`${name}=;`)).at(-1);
  if (found === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(all)}`);
  return found.split(';')[0]!;
}

describe.each(ADAPTERS)('SessionAuthentication (%s)', (adapter) => {
  let t: TestApp;
  const loads: string[] = [];
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [sessionModule(loads)] }, (app) => registerSessions(adapter, app));
  });
  afterAll(() => t.close());
  beforeEach(() => {
    loads.length = 0;
    USERS.get('2')!.active = true;
  });

  const login = async (id: string, cookie?: string): Promise<string> => {
    const req = t.http.post('/login').send({ id });
    const res = await (cookie === undefined ? req : req.set('cookie', cookie));
    expect(res.status).toBe(200);
    return sessionCookie(res.headers['set-cookie'], cookieName(adapter));
  };

  it('authenticates the session user, loading it once', async () => {
    const cookie = await login('1');
    const res = await t.http.get('/me').set('cookie', cookie);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { id: '1', name: 'ann', active: true }, backend: 'session' });
    expect(loads).toEqual(['1']);
  });

  it('without a session: 401 credentials_missing', async () => {
    expect((await t.http.get('/me')).body.code).toBe('credentials_missing');
  });

  it('regenerates the session id on login (session fixation)', async () => {
    const visit = await t.http.post('/visit');
    const before = sessionCookie(visit.headers['set-cookie'], cookieName(adapter));
    const after = await login('1', before);
    expect(after).not.toBe(before);
    expect((await t.http.get('/me').set('cookie', before)).status).toBe(401);
    expect((await t.http.get('/me').set('cookie', after)).status).toBe(200);
  });

  it('after logout the old cookie no longer authenticates', async () => {
    const login = await t.http.post('/login').send({ id: '1' });
    const cookie = sessionCookie(login.headers['set-cookie'], cookieName(adapter));
    expect((await t.http.post('/logout').set('cookie', cookie).set('x-csrf-token', login.body.csrfToken)).status).toBe(200);
    const res = await t.http.get('/me').set('cookie', cookie);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('credentials_missing');
  });

  it('a user disabled after login: 401 session_invalid', async () => {
    const cookie = await login('2');
    USERS.get('2')!.active = false;
    const res = await t.http.get('/me').set('cookie', cookie);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('session_invalid');
  });

  it('a session cookie signed with another secret does not authenticate', async () => {
    const cookie = await login('1');
    const [name, value] = cookie.split('=') as [string, string];
    const forged = `${name}=${value.slice(0, -4)}AAAA`;
    expect((await t.http.get('/me').set('cookie', forged)).status).toBe(401);
  });
});

describe.each(ADAPTERS)('sessions in Redis survive an app restart (%s)', (adapter) => {
  let redis: Awaited<ReturnType<typeof useRedis>>;
  beforeAll(async () => {
    redis = await useRedis();
  });
  afterAll(() => redis.close());

  async function start(): Promise<{ t: TestApp; stop: () => Promise<void> }> {
    const client = createClient({ url: redis.url });
    await client.connect();
    const store = new RedisStore({ client, prefix: `warden-test-${adapter}:` });
    const t = await startApp(adapter, { imports: [sessionModule([])] }, (app) => registerSessions(adapter, app, store));
    return {
      t,
      stop: async () => {
        await t.close();
        await client.quit();
      },
    };
  }

  it('a cookie issued before the restart still works after it', async () => {
    const first = await start();
    const res = await first.t.http.post('/login').send({ id: '1' });
    const cookie = sessionCookie(res.headers['set-cookie'], cookieName(adapter));
    await first.stop();
    const second = await start();
    try {
      const me = await second.t.http.get('/me').set('cookie', cookie);
      expect(me.status).toBe(200);
      expect(me.body.user.name).toBe('ann');
    } finally {
      await second.stop();
    }
  });
});
