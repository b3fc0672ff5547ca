import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRevocation } from '../../src/redis/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { useRedis } from '../utils/redis.js';

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(ADAPTERS)('two instances sharing one Redis (%s)', (adapter) => {
  let redis: Awaited<ReturnType<typeof useRedis>>;
  let a: TestApp;
  let b: TestApp;
  const stores: RedisRevocation[] = [];

  beforeAll(async () => {
    redis = await useRedis();
    const prefix = `multi-${adapter}-${Date.now()}:`;
    const store = (): RedisRevocation => {
      const created = new RedisRevocation({ url: redis.url, keyPrefix: prefix });
      stores.push(created);
      return created;
    };
    a = await startApp(adapter, { imports: [lifecycleModule(store)] });
    b = await startApp(adapter, { imports: [lifecycleModule(store)] });
    await waitFor(() => stores.every((s) => s.usingReplica), 5_000);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.close();
  });

  const login = async (app: TestApp) =>
    (await app.http.post('/auth/login').send({ id: '5' })).body as { access_token: string; refresh_token: string };

  it("a token revoked through A is refused by B within 100 ms, answered from B's local replica", async () => {
    const pair = await login(a);
    expect((await b.http.get('/auth/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    await a.http.post('/auth/logout').set('authorization', `Bearer ${pair.access_token}`);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 100) {
      status = (await b.http.get('/auth/me').set('authorization', `Bearer ${pair.access_token}`)).status;
    }
    expect(status).toBe(401);
    expect(stores.every((s) => s.usingReplica)).toBe(true);
  });

  it('a refresh rotated on A cannot be replayed on B, and the family dies everywhere', async () => {
    const pair = await login(a);
    const rotated = await a.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(rotated.status).toBe(200);
    const replay = await b.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(replay.body.code).toBe('token_reused');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await a.http.get('/auth/me').set('authorization', `Bearer ${rotated.body.access_token}`)).body.code).toBe('token_revoked');
  });

  it('logout-all on A is seen by B', async () => {
    const pair = await login(a);
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
    await a.http.post('/auth/logout-all').set('authorization', `Bearer ${pair.access_token}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await b.http.get('/auth/me').set('authorization', `Bearer ${pair.access_token}`)).body.code).toBe('token_revoked');
  });
});
