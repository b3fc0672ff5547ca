import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRevocation } from '../../src/redis/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';

const TIMEOUT_MS = 300;

describe.each(ADAPTERS)('RedisRevocation under faults (%s)', (adapter) => {
  let redis: OwnedRedis;
  let t: TestApp;
  let store: RedisRevocation;

  beforeAll(async () => {
    redis = await startOwnRedis();
    t = await startApp(adapter, {
      imports: [
        lifecycleModule(() => {
          store = new RedisRevocation({ url: redis.url, timeoutMs: TIMEOUT_MS });
          return store;
        }),
      ],
    });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  const login = async () => (await t.http.post('/auth/login').send({ id: '3' })).body as { access_token: string; refresh_token: string };
  const me = (token: string) => t.http.get('/auth/me').set('authorization', `Bearer ${token}`);
  const until = async (predicate: () => Promise<boolean>, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('Redis stopped: 503 auth_unavailable in bounded time, never a 500 or an accept; recovers when Redis returns', async () => {
    const pair = await login();
    const revoked = await login();
    await t.http.post('/auth/logout').set('authorization', `Bearer ${revoked.access_token}`);
    await redis.stop();
    await until(async () => !store.usingReplica, 2_000);
    // "Not revoked" needs Redis: 503. A revocation the replica holds is still an answer (they are never undone).
    for (const [token, status, code] of [
      [pair.access_token, 503, 'auth_unavailable'],
      [revoked.access_token, 401, 'token_revoked'],
    ] as const) {
      const started = Date.now();
      const res = await me(token);
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 700);
    }
    const refresh = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(refresh.status).toBe(503);

    await redis.start();
    await until(async () => (await me(pair.access_token)).status === 200, 10_000);
    // The replica is reloaded after the subscription returns, and then serves the hot path again.
    await until(async () => store.usingReplica, 5_000);
  });

  it('Redis paused (CLIENT PAUSE): checks that must ask Redis fail closed within the timeout', async () => {
    const pair = await login();
    const admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    try {
      await admin.client('PAUSE', 1500, 'ALL');
      const started = Date.now();
      const refresh = await t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
      expect([200, 503]).toContain(refresh.status);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 700);
    } finally {
      admin.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await me(pair.access_token)).status).toBe(200);
  });

  it('Redis blocked (DEBUG SLEEP): every answer within the timeout, a revoked token never accepted; recovers by itself', async () => {
    const pair = await login();
    const revoked = await login();
    expect((await t.http.post('/auth/logout').set('authorization', `Bearer ${revoked.access_token}`)).status).toBe(200);
    const admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    try {
      // The whole server stops answering for 1.5 s: connections stay open, nothing comes back.
      const sleeping = admin.call('DEBUG', 'SLEEP', '1.5');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const checks = [
        { res: () => me(pair.access_token), allowed: [200, 503] },
        { res: () => me(revoked.access_token), allowed: [401, 503] },
        { res: () => t.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token }), allowed: [200, 503] },
        { res: () => t.http.post('/auth/refresh').send({ refresh_token: revoked.refresh_token }), allowed: [401, 503] },
      ];
      for (const check of checks) {
        const started = Date.now();
        const res = await check.res();
        expect(check.allowed).toContain(res.status);
        if (res.status === 503) expect(res.body.code).toBe('auth_unavailable');
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 700);
      }
      await sleeping;
    } finally {
      admin.disconnect();
    }
    await until(async () => (await me(pair.access_token)).status === 200, 5_000);
    const after = await me(revoked.access_token);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('token_revoked');
  });
});
