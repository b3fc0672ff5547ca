import { randomUUID } from 'node:crypto';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheRevocation, InMemoryRevocation, RevocationStore, TokenService, type RevocationQuery } from '../../src/index.js';
import { PostgresRevocation } from '../../src/postgres/index.js';
import { RedisRevocation } from '../../src/redis/index.js';
import { lifecycleModule, SECRET } from '../tokens/lifecycle-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { sql, usePostgres } from '../utils/postgres.js';
import { useRedis } from '../utils/redis.js';
import { hs, now } from '../utils/tokens.js';

/** A store that runs `hook.action` at a chosen point of a refresh: after the n-th `fresh` check, or after the rotation. */
class HookedStore extends RevocationStore implements OnModuleInit, OnModuleDestroy {
  hook: { after: 'check' | 'rotate'; nth?: number; action: () => Promise<void> } | undefined;
  private freshChecks = 0;

  constructor(readonly inner: RevocationStore) {
    super();
  }

  revoke(jti: string, expiresAt: number): Promise<void> {
    return this.inner.revoke(jti, expiresAt);
  }
  revokeFamily(family: string, expiresAt: number): Promise<void> {
    return this.inner.revokeFamily(family, expiresAt);
  }
  revokeAllForUser(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    return this.inner.revokeAllForUser(sub, cutoff, expiresAt);
  }
  isRevoked(query: RevocationQuery, options?: { fresh?: boolean }): boolean | Promise<boolean> {
    if (options?.fresh !== true) return this.inner.isRevoked(query, options);
    return (async () => {
      const answer = await this.inner.isRevoked(query, options);
      const hook = this.hook;
      if (hook?.after === 'check' && ++this.freshChecks === hook.nth) await hook.action();
      return answer;
    })();
  }
  async rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean> {
    const rotated = await this.inner.rotate(family, current, next, expiresAt);
    if (this.hook?.after === 'rotate') await this.hook.action();
    return rotated;
  }
  arm(hook: HookedStore['hook']): void {
    this.freshChecks = 0;
    this.hook = hook;
  }
  async onModuleInit(): Promise<void> {
    await (this.inner as Partial<OnModuleInit>).onModuleInit?.();
  }
  async onModuleDestroy(): Promise<void> {
    await (this.inner as Partial<OnModuleDestroy>).onModuleDestroy?.();
  }
}

const nextSecond = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));

type StoreName = 'memory' | 'redis' | 'cache' | 'postgres';
const cases = ADAPTERS.flatMap((adapter) =>
  (['memory', 'redis', 'cache', 'postgres'] as StoreName[]).map((store) => [adapter, store] as const),
);

describe.each(cases)('refresh races on %s with the %s store', (adapter, storeName) => {
  let t: TestApp;
  let store: HookedStore;
  let redis: Awaited<ReturnType<typeof useRedis>> | undefined;
  let postgres: Awaited<ReturnType<typeof usePostgres>> | undefined;
  const prefix = `races-${adapter}-${Date.now()}:`;
  const tablePrefix = `races_${adapter}_${Date.now() % 100000}_`;

  beforeAll(async () => {
    let inner: RevocationStore;
    if (storeName === 'redis') {
      redis = await useRedis();
      inner = new RedisRevocation({ url: redis.url, keyPrefix: prefix });
    } else if (storeName === 'postgres') {
      postgres = await usePostgres();
      inner = new PostgresRevocation({ connectionString: postgres.url, tablePrefix });
    } else if (storeName === 'cache') inner = new CacheRevocation(createCache());
    else inner = new InMemoryRevocation();
    store = new HookedStore(inner);
    t = await startApp(adapter, { imports: [lifecycleModule(() => store)] });
  });
  afterAll(async () => {
    await t.close();
    await redis?.close();
    await postgres?.close();
  });

  const login = async (id: string) =>
    (await t.http.post('/auth/login').send({ id })).body as { access_token: string; refresh_token: string };
  const refresh = (token: string) => t.http.post('/auth/refresh').send({ refresh_token: token });
  const me = (token: string) => t.http.get('/auth/me').set('authorization', `Bearer ${token}`);

  /** Whatever a refresh gave, no pair of this login may still work. */
  async function expectNoLivePair(res: Awaited<ReturnType<typeof refresh>>): Promise<void> {
    if (res.status !== 200) {
      expect(res.status).toBe(401);
      expect(['token_revoked', 'token_reused']).toContain(res.body.code);
      return;
    }
    const access = await me(res.body.access_token);
    expect(access.status).toBe(401);
    expect(access.body.code).toBe('token_revoked');
    const again = await refresh(res.body.refresh_token);
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('token_revoked');
  }

  // The rotation is one compare-and-set: never two pairs. The losers' reuse revokes the family,
  // so whether the winner's own last check still passes is a matter of timing (0 or 1 pair),
  // and a pair it got is dead either way.
  it('the same refresh token 20 times at once: at most one new pair, the others 401; reuse revokes the family, that pair included', async () => {
    const pair = await login('twenty');
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh(pair.refresh_token)));
    const statuses = results.map((res) => res.status);
    const issued = statuses.filter((status) => status === 200).length;
    expect(issued).toBeLessThanOrEqual(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(20 - issued);
    const codes = results.filter((res) => res.status === 401).map((res) => res.body.code as string);
    expect(codes).toContain('token_reused');
    expect(codes.every((code) => code === 'token_reused' || code === 'token_revoked')).toBe(true);
    const winner = results.find((res) => res.status === 200);
    if (winner !== undefined) await expectNoLivePair(winner);
  });

  it('20 concurrent TokenService.refresh() calls in one process, no HTTP in between: at most one pair', async () => {
    const tokens = t.app.get(TokenService);
    const pair = await login('twenty-direct');
    const settled = await Promise.allSettled(Array.from({ length: 20 }, () => tokens.refresh(pair.refresh_token)));
    const issued = settled.filter((result) => result.status === 'fulfilled').length;
    expect(issued).toBeLessThanOrEqual(1);
    const codes = settled.flatMap((result) => (result.status === 'rejected' ? [(result.reason as { code: string }).code] : []));
    expect(codes).toHaveLength(20 - issued);
    expect(codes).toContain('token_reused');
    expect(codes.every((code) => code === 'token_reused' || code === 'token_revoked')).toBe(true);
  });

  it.each([
    ['after the first check, before consuming', { after: 'check', nth: 1 }],
    ['after consuming, before the last check', { after: 'rotate' }],
    ['after the last check, the pair minted in a later second', { after: 'check', nth: 2 }],
  ] as const)('logout-all landing %s leaves no live pair', async (_when, point) => {
    const user = `race-${randomUUID()}`;
    const pair = await login(user);
    let landed = false;
    store.arm({
      ...point,
      action: async () => {
        store.hook = undefined;
        await t.app.get(TokenService).revokeAllForUser(user);
        landed = true;
        await nextSecond();
      },
    });
    const res = await refresh(pair.refresh_token);
    store.hook = undefined;
    expect(landed).toBe(true);
    await expectNoLivePair(res);
  });

  it('a numeric sub (the @nestjs/jwt recipe issues these) is the same user: refused after revokeAllForUser("42") and after revokeAllForUser(42)', async () => {
    const token = (sub: number): string => hs({ sub, iat: now() - 5, exp: now() + 600, jti: randomUUID(), type: 'access' }, SECRET);
    const tokens = t.app.get(TokenService);
    const first = token(42);
    expect((await me(first)).body).toMatchObject({ userId: '42' });
    await tokens.revokeAllForUser('42');
    const refused = await me(first);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_revoked');
    const second = token(4242);
    expect((await me(second)).status).toBe(200);
    await tokens.revokeAllForUser(4242);
    expect((await me(second)).body.code).toBe('token_revoked');
    expect(await store.isRevoked({ sub: '4242', iat: now() - 5 }, { fresh: true })).toBe(true);
  });

  // cache-manager cannot list its entries: the bound is shown on the two other stores.
  if (storeName !== 'cache') {
    it('storage per login is bounded: 200 refreshes in a loop leave one refresh record', async () => {
      let pair = await login('looping');
      const before = await entries();
      for (let i = 0; i < 200; i++) {
        const res = await refresh(pair.refresh_token);
        expect(res.status).toBe(200);
        pair = res.body;
      }
      expect((await entries()) - before).toBe(1);
      expect((await refresh(pair.refresh_token)).status).toBe(200);
    });
  }

  /** What the store holds: entries in memory, keys under the prefix in Redis. */
  async function entries(): Promise<number> {
    if (store.inner instanceof InMemoryRevocation) return store.inner.size;
    if (store.inner instanceof PostgresRevocation) {
      const [revocations, rotations] = ['revocations', 'rotations'].map(
        (table) => `SELECT count(*)::int AS n FROM "public"."${tablePrefix}${table}"`,
      );
      const counted = await Promise.all([revocations!, rotations!].map((text) => sql<{ n: number }>(postgres!.url, text)));
      return counted.reduce((sum, rows) => sum + rows[0]!.n, 0);
    }
    const client = new Redis(redis!.url);
    try {
      let count = 0;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        count += keys.filter((key) => !key.endsWith(':log') && !key.endsWith(':seq')).length;
      } while (cursor !== '0');
      return count;
    } finally {
      client.disconnect();
    }
  }
});
