import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRevocation, type RevocationStore } from '../../src/index.js';
import { RedisRevocation } from '../../src/redis/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { useRedis } from '../utils/redis.js';
import { lifecycleModule } from './lifecycle-app.js';

type StoreName = 'memory' | 'redis';
const cases = ADAPTERS.flatMap((adapter) => (['memory', 'redis'] as StoreName[]).map((store) => [adapter, store] as const));

describe.each(cases)('token lifecycle on %s with the %s store', (adapter, storeName) => {
  let t: TestApp;
  let redis: Awaited<ReturnType<typeof useRedis>> | undefined;
  beforeAll(async () => {
    let store: () => RevocationStore = () => new InMemoryRevocation();
    if (storeName === 'redis') {
      const r = await useRedis();
      redis = r;
      store = () => new RedisRevocation({ url: r.url, keyPrefix: `lifecycle-${adapter}-${Date.now()}:` });
    }
    t = await startApp(adapter, { imports: [lifecycleModule(store)] });
  });
  afterAll(async () => {
    await t.close();
    await redis?.close();
  });

  const login = async (id = '7') => (await t.http.post('/auth/login').send({ id })).body as { access_token: string; refresh_token: string };
  const me = (token: string) => t.http.get('/auth/me').set('authorization', `Bearer ${token}`);

  it('a login pair: fresh access token, bearer token_type, expires_in', async () => {
    const res = await t.http.post('/auth/login').send({ id: '7' });
    expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect((await me(res.body.access_token)).body).toEqual({ userId: '7', fresh: true });
  });

  it('refresh rotates: a new pair with a non-fresh access token; the fresh-only route refuses it', async () => {
    const pair = await login();
    const refreshed = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(refreshed.status).toBe(200);
    expect((await me(refreshed.body.access_token)).body).toEqual({ userId: '7', fresh: false });
    expect((await t.http.post('/auth/change-password').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    const stale = await t.http.post('/auth/change-password').set('authorization', `Bearer ${refreshed.body.access_token}`);
    expect(stale.status).toBe(403);
    expect(stale.body.code).toBe('fresh_token_required');
  });

  it('a refresh token used twice: 401 token_reused, and the whole family is revoked', async () => {
    const pair = await login();
    const next = (await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })).body;
    const replay = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('token_reused');
    expect(replay.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect((await me(next.access_token)).body.code).toBe('token_revoked');
    expect((await me(pair.access_token)).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/refresh').send({ refresh_token: next.refresh_token })).body.code).toBe('token_revoked');
  });

  it('access and refresh tokens are not interchangeable', async () => {
    const pair = await login();
    expect((await me(pair.refresh_token)).body.code).toBe('token_claims_invalid');
    expect((await t.http.post('/auth/refresh').send({ refresh_token: pair.access_token })).body.code).toBe('token_claims_invalid');
  });

  it('logout revokes the access token and its refresh family', async () => {
    const pair = await login();
    expect((await t.http.post('/auth/logout').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect((await me(pair.access_token)).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })).body.code).toBe('token_revoked');
  });

  it('logout-all refuses every earlier token of the user, not other users', async () => {
    const first = await login('8');
    const second = await login('8');
    const other = await login('9');
    expect((await t.http.post('/auth/logout-all').set('authorization', `Bearer ${first.access_token}`)).status).toBe(200);
    expect((await me(second.access_token)).body.code).toBe('token_revoked');
    expect((await t.http.post('/auth/refresh').send({ refresh_token: second.refresh_token })).body.code).toBe('token_revoked');
    expect((await me(other.access_token)).status).toBe(200);
    // No waiting: a login right after it, in the same second, works.
    expect((await me((await login('8')).access_token)).status).toBe(200);
  });
});
