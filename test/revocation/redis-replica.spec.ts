import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../utils/fault-proxy.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';
import { answerOf, populate, StorePool, waitFor } from '../utils/revocations.js';

const hour = (): number => Date.now() / 1000 + 3600;

describe('RedisRevocation replica: snapshot + ordered log, heartbeat, bound', () => {
  let redis: OwnedRedis;
  let admin: Redis;
  const pool = new StorePool();
  const proxies: FaultProxy[] = [];
  let n = 0;
  const prefix = (): string => `replica-${++n}:`;
  const proxy = async (): Promise<FaultProxy> => {
    const created = await FaultProxy.start(redis.port);
    proxies.push(created);
    return created;
  };

  beforeAll(async () => {
    redis = await startOwnRedis();
    admin = new Redis(redis.url);
    admin.on('error', () => undefined);
  });
  afterEach(async () => {
    for (const created of proxies) created.pass();
    await pool.closeAll();
    await Promise.all(proxies.splice(0).map((created) => created.close()));
  });
  afterAll(async () => {
    admin.disconnect();
    await redis.remove();
  });

  it('nothing is lost while an instance loads: 200,000 revocations in Redis, 1,000 more written during the load, through another instance and through the loading one', async () => {
    const p = prefix();
    await populate(redis.url, p, { tag: 'old', count: 200_000, exp: hour() });
    const a = await pool.open({ url: redis.url, keyPrefix: p });
    await waitFor(() => a.usingReplica, 30_000, 'A loaded');
    const c = await pool.open({ url: redis.url, keyPrefix: p });
    const resolved: Array<{ jti: string; at: number }> = [];
    const wrong: string[] = [];
    let duringLoad = 0;
    let checks = 0;
    let writing = true;
    const writes = (async () => {
      for (let i = 0; i < 1000; i++) {
        const jti = `new-${i}`;
        await (i % 2 === 0 ? a : c).revoke(jti, hour());
        if (!c.usingReplica) duringLoad++;
        resolved.push({ jti, at: performance.now() });
      }
      writing = false;
    })();
    // Every resolved revocation is checked on C again and again, while it loads and after.
    while (writing || !c.usingReplica) {
      for (const { jti, at } of resolved.slice(-40)) {
        const started = performance.now();
        const answer = await answerOf(c, { jti });
        checks++;
        if (answer === false && started - at > 100) wrong.push(jti);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writes;
    expect(duringLoad).toBeGreaterThan(100);
    expect(checks).toBeGreaterThan(1000);
    expect(wrong).toEqual([]);
    // Once loaded, the replica itself answers: every new one, and the old ones.
    expect(c.usingReplica).toBe(true);
    const missing = resolved.filter(({ jti }) => c.isRevoked({ jti }) !== true).map(({ jti }) => jti);
    expect(missing).toEqual([]);
    for (const i of [0, 1, 99_999, 199_999]) expect(c.isRevoked({ jti: `old-${i}` })).toBe(true);
    expect(c.isRevoked({ jti: 'never-revoked' })).toBe(false);
  }, 60_000);

  it('a replica that fell behind the trimmed log notices the gap, reloads, and refuses everything revoked meanwhile', async () => {
    const p = prefix();
    const toB = await proxy();
    const a = await pool.open({ url: redis.url, keyPrefix: p, streamMaxLength: 100 });
    const b = await pool.open({ url: toB.url, keyPrefix: p });
    await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
    toB.blackhole();
    for (let i = 0; i < 1000; i++) await a.revoke(`gap-${i}`, hour());
    // The log no longer holds what B has not read.
    expect(await admin.xlen(`${p}log`)).toBeLessThan(1000);
    await waitFor(() => !b.usingReplica, 1_500, 'B demoted');
    for (const i of [0, 500, 999]) expect(await answerOf(b, { jti: `gap-${i}` })).not.toBe(false);
    toB.pass();
    await waitFor(() => b.usingReplica, 5_000, 'B serving again');
    const missing = Array.from({ length: 1000 }, (_, i) => `gap-${i}`).filter((jti) => b.isRevoked({ jti }) !== true);
    expect(missing).toEqual([]);
  });

  it('a silent partition (no FIN, no RST) is noticed by the heartbeat within maxStalenessMs; checks then fail closed within timeoutMs; once healed, B reads on', async () => {
    const p = prefix();
    const toB = await proxy();
    const a = await pool.open({ url: redis.url, keyPrefix: p });
    const b = await pool.open({ url: toB.url, keyPrefix: p, timeoutMs: 300 });
    await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
    const cut = performance.now();
    toB.blackhole();
    await a.revoke('during', hour());
    let wrongly = 0;
    while (b.usingReplica && performance.now() - cut < 3000) {
      if (b.isRevoked({ jti: 'during' }) === false && performance.now() - cut > 1000) wrongly++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const noticedAfter = performance.now() - cut;
    expect(wrongly).toBe(0);
    expect(noticedAfter).toBeLessThan(1000 + 50);
    for (const jti of ['during', 'never']) {
      const started = performance.now();
      expect(await answerOf(b, { jti })).toBe('unavailable');
      expect(performance.now() - started).toBeLessThan(300 + 150);
    }
    toB.pass();
    await waitFor(() => b.usingReplica, 5_000, 'B serving again');
    expect(b.isRevoked({ jti: 'during' })).toBe(true);
    expect(b.isRevoked({ jti: 'never' })).toBe(false);
  });

  it('a failed or timed-out command demotes the replica at once, until the log has been read again', async () => {
    const p = prefix();
    const b = await pool.open({ url: redis.url, keyPrefix: p, timeoutMs: 200 });
    await waitFor(() => b.usingReplica, 5_000, 'serving');
    await admin.client('PAUSE', 800, 'WRITE');
    await expect(b.revoke('paused', hour())).rejects.toMatchObject({ code: 'auth_unavailable' });
    expect(b.usingReplica).toBe(false);
    // Reads go on during a write pause: the replica is back after its next read of the log.
    await waitFor(() => b.usingReplica, 1_000, 'serving again');
  });

  it('past replicaMaxEntries the replica no longer claims to hold everything: what it lacks is asked of Redis, failing closed', async () => {
    const p = prefix();
    const toB = await proxy();
    const a = await pool.open({ url: redis.url, keyPrefix: p });
    const b = await pool.open({ url: toB.url, keyPrefix: p, replicaMaxEntries: 100, timeoutMs: 300 });
    await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
    for (let i = 0; i < 150; i++) await a.revoke(`bound-${i}`, hour());
    await waitFor(() => !b.usingReplica, 1_000, 'B no longer complete');
    for (let i = 0; i < 150; i++) expect(await b.isRevoked({ jti: `bound-${i}` })).toBe(true);
    expect(await b.isRevoked({ jti: 'bound-never' })).toBe(false);
    // A new instance loads what fits, and answers the rest from Redis.
    const c = await pool.open({ url: redis.url, keyPrefix: p, replicaMaxEntries: 50 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 150; i++) expect(await c.isRevoked({ jti: `bound-${i}` })).toBe(true);
    expect(await c.isRevoked({ jti: 'bound-never' })).toBe(false);
    expect(c.usingReplica).toBe(false);
    // Redis unreachable: what B holds is still refused, what it lacks is 503, never "not revoked".
    toB.blackhole();
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => answerOf(b, { jti: `bound-${i}` })));
    expect(answers.filter((answer) => answer === false)).toEqual([]);
    expect(answers.filter((answer) => answer === true).length).toBeGreaterThanOrEqual(100);
    expect(await answerOf(b, { jti: 'bound-never' })).toBe('unavailable');
  });

  it('Redis restarted without its data: replicas reload and see the revocations made afterwards within 100 ms', async () => {
    const own = await startOwnRedis();
    try {
      const p = prefix();
      const a = await pool.open({ url: own.url, keyPrefix: p });
      const b = await pool.open({ url: own.url, keyPrefix: p });
      for (let i = 0; i < 5; i++) await a.revoke(`lost-${i}`, hour());
      await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
      await own.stop();
      await own.start();
      await waitFor(() => a.usingReplica && b.usingReplica, 10_000, 'both serving again');
      await a.revoke('after', hour());
      const resolved = performance.now();
      await waitFor(() => b.isRevoked({ jti: 'after' }) === true, 100, 'B refuses it');
      expect(performance.now() - resolved).toBeLessThan(100);
    } finally {
      await pool.closeAll();
      await own.remove();
    }
  });
});
