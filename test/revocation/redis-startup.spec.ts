import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisRevocation } from '../../src/redis/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { startApp } from '../utils/app.js';
import { FaultProxy } from '../utils/fault-proxy.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';
import { countUnhandledRejections, StorePool, waitFor } from '../utils/revocations.js';

const hour = (): number => Date.now() / 1000 + 3600;

describe('RedisRevocation refuses a Redis that could evict its keys', () => {
  let volatile: OwnedRedis;
  let noConfig: OwnedRedis;
  const pool = new StorePool();
  beforeAll(async () => {
    [volatile, noConfig] = await Promise.all([
      startOwnRedis({ args: ['--maxmemory-policy', 'volatile-lru'] }),
      startOwnRedis({ args: ['--rename-command', 'CONFIG', '""'] }),
    ]);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await pool.closeAll();
  });
  afterAll(async () => {
    await Promise.all([volatile.remove(), noConfig.remove()]);
  });

  it('volatile-lru: start-up fails saying what to do; the store refuses every request (503) rather than run', async () => {
    const store = new RedisRevocation({ url: volatile.url, keyPrefix: 'volatile:' });
    try {
      await expect(store.onModuleInit()).rejects.toThrow(/maxmemory-policy is 'volatile-lru'.*noeviction.*evictionCheck: 'warn'/s);
      await expect(store.revoke('j', hour())).rejects.toMatchObject({ code: 'auth_unavailable' });
      await expect(store.rotate('f', 'r1', 'r2', hour())).rejects.toMatchObject({ code: 'auth_unavailable' });
      await expect(Promise.resolve(store.isRevoked({ jti: 'j' }))).rejects.toMatchObject({ code: 'auth_unavailable' });
      expect(store.usingReplica).toBe(false);
    } finally {
      await store.onModuleDestroy();
    }
  });

  it('an app configured with it does not boot', async () => {
    let created: RedisRevocation | undefined;
    const boot = startApp('express', {
      imports: [
        lifecycleModule(() => {
          created = new RedisRevocation({ url: volatile.url, keyPrefix: 'boot:' });
          return created;
        }),
      ],
    });
    await expect(boot).rejects.toThrow(/RedisRevocation refuses to start/);
    await created?.onModuleDestroy();
  });

  it("evictionCheck: 'warn' starts anyway and logs a warning naming the policy (never a secret)", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await pool.open({ url: volatile.url, keyPrefix: 'warned:', evictionCheck: 'warn' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/volatile-lru.*evictionCheck: 'warn'/));
    await store.revoke('j', hour());
    await waitFor(() => store.usingReplica, 5_000, 'serving');
    expect(store.isRevoked({ jti: 'j' })).toBe(true);
  });

  it('CONFIG disabled (as on some managed Redis): refused by default, saying so; starts with a warning when told', async () => {
    const refused = new RedisRevocation({ url: noConfig.url, keyPrefix: 'managed:' });
    try {
      await expect(refused.onModuleInit()).rejects.toThrow(/CONFIG GET maxmemory-policy was refused.*noeviction/s);
    } finally {
      await refused.onModuleDestroy();
    }
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const store = await pool.open({ url: noConfig.url, keyPrefix: 'managed:', evictionCheck: 'warn' });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/CONFIG GET maxmemory-policy was refused/));
    await store.revoke('j', hour());
    expect(await store.isRevoked({ jti: 'j' }, { fresh: true })).toBe(true);
  });

  it('a Redis that is not reachable at start-up does not hang the boot: the store fails closed, then checks the policy and starts when Redis answers', async () => {
    const late = await startOwnRedis();
    await late.stop();
    try {
      const store = new RedisRevocation({ url: late.url, keyPrefix: 'late:', timeoutMs: 200 });
      const started = Date.now();
      await store.onModuleInit();
      expect(Date.now() - started).toBeLessThan(4_000);
      await expect(Promise.resolve(store.isRevoked({ jti: 'j' }))).rejects.toMatchObject({ code: 'auth_unavailable' });
      await late.start();
      await waitFor(() => store.usingReplica, 5_000, 'serving once Redis answers');
      await store.onModuleDestroy();
    } finally {
      await late.remove();
    }
  });
});

/** The ioredis clients a store holds (its own fields and theirs): how the test reaches the connections it owns. */
function redisClientsIn(root: object): Redis[] {
  const found = new Set<Redis>();
  const visit = (value: unknown, depth: number): void => {
    if (value instanceof Redis) found.add(value);
    else if (depth > 0 && typeof value === 'object' && value !== null) for (const field of Object.values(value)) visit(field, depth - 1);
  };
  visit(root, 3);
  return [...found];
}

describe('no unhandled rejection from the clients the store owns', () => {
  let redis: OwnedRedis;
  beforeAll(async () => {
    redis = await startOwnRedis();
  });
  afterAll(() => redis.remove());

  it('Redis stalls and the app closes; Redis dies right after a reconnection; Redis restarts under use', async () => {
    const rejections = countUnhandledRejections();
    const pool = new StorePool();
    const admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    try {
      // The connection that follows revocations is killed; the instant it is ready again, with
      // whatever a reconnection sends (a re-subscribe, a read of the log) in flight, Redis goes
      // silent and the store closes; then the connection drops.
      const toStall = await FaultProxy.start(redis.port);
      const stalled = await pool.open({ url: toStall.url, keyPrefix: 'stall:', timeoutMs: 200 });
      await waitFor(() => stalled.usingReplica, 5_000, 'serving');
      const reconnected = new Promise<void>((resolve) => {
        for (const client of redisClientsIn(stalled)) {
          client.once('ready', () => {
            toStall.blackhole();
            resolve();
          });
        }
      });
      // A subscriber (pub/sub designs) or the log reader.
      await admin.client('KILL', 'TYPE', 'pubsub');
      for (const line of String(await admin.client('LIST')).split('\n')) {
        if (/ name=stall:replica /.test(line)) await admin.client('KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
      }
      await reconnected;
      const inFlight = [stalled.revoke('j', hour()), Promise.resolve(stalled.isRevoked({ jti: 'x' }, { fresh: true }))].map((operation) =>
        operation.then(
          () => 'ok',
          (error: { code?: string }) => error.code,
        ),
      );
      const closing = pool.closeAll();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await toStall.close();
      await closing;
      for (const outcome of await Promise.all(inFlight)) expect(['ok', 'auth_unavailable']).toContain(outcome);

      // Redis killed, restarted, killed again right after the store reconnected; the store used throughout.
      const survivor = await pool.open({ url: redis.url, keyPrefix: 'restart:', timeoutMs: 200 });
      await waitFor(() => survivor.usingReplica, 5_000, 'serving');
      const use = async (): Promise<void> => {
        await Promise.allSettled([survivor.revoke(`r-${Math.random()}`, hour()), Promise.resolve(survivor.isRevoked({ jti: 'x' }))]);
      };
      await redis.stop();
      await use();
      await redis.start();
      await waitFor(() => survivor.usingReplica, 5_000, 'serving after the restart');
      await redis.stop();
      await use();
      await pool.closeAll();
      await redis.start();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(rejections.reasons).toEqual([]);
    } finally {
      rejections.stop();
      admin.disconnect();
      await pool.closeAll();
    }
  });
});
