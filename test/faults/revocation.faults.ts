import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRevocation, type RedisRevocationOptions } from '../../src/redis/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { startApp, type TestApp } from '../utils/app.js';
import { FaultProxy } from '../utils/fault-proxy.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';
import { countUnhandledRejections, populate, retainedHeap, StorePool, waitFor } from '../utils/revocations.js';
import { Oracle, scheduleTable, type ScheduleResult } from './revocation-oracle.js';
import { AppWorkload, StoreWorkload } from './revocation-workload.js';

/**
 * Fault schedules for RedisRevocation (API.md, Revocation stores). Three bare store instances
 * and an Express + Fastify app pair share a private redis-server (AOF, appendfsync always), each
 * through its own TCP proxy that can black-hole, delay or reset its traffic. In every schedule
 * revocations, logouts, logout-alls and refreshes are made through random instances before,
 * during and after the fault, and every answer is checked against what was revoked when: after
 * a revocation resolved, every instance refuses it within 100 ms when healthy and within 1 s under
 * a fault (and for 2 s after it), or answers 503; never "not revoked". A never-revoked token is
 * never refused; a rotated refresh token is never accepted twice.
 */

const PREFIX = 'faults:';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const results: ScheduleResult[] = [];
const rejections = countUnhandledRejections();

describe('RedisRevocation fault schedules', () => {
  let redis: OwnedRedis;
  let admin: Redis;
  const pool = new StorePool();
  const proxies: FaultProxy[] = [];
  let stores: RedisRevocation[];
  let apps: TestApp[];
  let replicaMemory = '';

  // Room for the million-key schedule plus the thousands of revocations the others leave (past
  // the default 1,000,000 a replica stops claiming completeness and asks Redis: redis-replica.spec.ts).
  const REPLICA_MAX = 1_500_000;
  const options = (proxy: FaultProxy): RedisRevocationOptions => ({ url: proxy.url, keyPrefix: PREFIX, replicaMaxEntries: REPLICA_MAX });
  const serving = (): boolean => stores.every((store) => store.usingReplica);

  beforeAll(async () => {
    redis = await startOwnRedis({ appendonly: true });
    admin = new Redis(redis.url);
    admin.on('error', () => undefined);
    for (let i = 0; i < 5; i++) proxies.push(await FaultProxy.start(redis.port));
    stores = [await pool.open(options(proxies[0]!)), await pool.open(options(proxies[1]!)), await pool.open(options(proxies[2]!))];
    apps = [];
    for (const [i, adapter] of [
      [3, 'express'],
      [4, 'fastify'],
    ] as const) {
      apps.push(await startApp(adapter, { imports: [lifecycleModule(() => new RedisRevocation(options(proxies[i]!)))] }));
    }
    await waitFor(serving, 10_000, 'every instance serving');
  }, 60_000);

  afterAll(async () => {
    for (const proxy of proxies) proxy.pass();
    await Promise.all(apps.map((app) => app.close()));
    await pool.closeAll();
    await Promise.all(proxies.map((proxy) => proxy.close()));
    admin.disconnect();
    await redis.remove();
    rejections.stop();
    console.log(`\nRedisRevocation fault schedules (bound: 100 ms healthy, 1 s under a fault)\n${scheduleTable(results)}`);
    console.log(`unhandled rejections: ${rejections.count}`, rejections.reasons);
    if (replicaMemory !== '') console.log(replicaMemory);
  });

  /**
   * Runs the workloads for `ms`, with `fault` started 1.5 s in; `heal` (if any) is awaited as
   * the fault's end. Returns the schedule's figures once every instance serves again.
   */
  async function schedule(
    name: string,
    fault: (oracle: Oracle, workload: StoreWorkload) => Promise<void>,
    ms = 6_000,
  ): Promise<ScheduleResult> {
    const oracle = new Oracle(name);
    const tag = name.replace(/\W+/g, '-');
    const workload = new StoreWorkload([...stores], oracle, tag);
    const http = new AppWorkload(
      apps.map((app, i) => ({ name: i === 0 ? 'express' : 'fastify', http: app.http })),
      oracle,
      tag,
    );
    const started = performance.now();
    workload.start();
    http.start();
    try {
      await sleep(1_500);
      await fault(oracle, workload);
      await sleep(Math.max(0, ms - (performance.now() - started)));
      await waitFor(serving, 120_000, `${name}: every instance serving again`);
      await sleep(500);
    } finally {
      await workload.stop();
      await http.stop();
      results.push(oracle.figures);
    }
    return oracle.figures;
  }

  const expectClean = (result: ScheduleResult): void => {
    expect(result.violations.slice(0, 10)).toEqual([]);
    expect(result.judged).toBeGreaterThan(500);
  };

  it('healthy: every instance refuses within 100 ms', async () => {
    expectClean(await schedule('healthy', async () => undefined));
  }, 60_000);

  it('reader connections killed (CLIENT KILL), again and again', async () => {
    const result = await schedule('reader connections killed', async (oracle) => {
      oracle.faultStarts();
      for (let i = 0; i < 6; i++) {
        const list = String(await admin.client('LIST'));
        for (const line of list.split('\n')) {
          const id = / name=faults:replica /.test(line) ? /id=(\d+)/.exec(line)?.[1] : undefined;
          if (id !== undefined) await admin.client('KILL', 'ID', id);
        }
        await sleep(400);
      }
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('silent partition (no FIN, no RST) of a store and of one app for 3 s', async () => {
    const result = await schedule('silent partition', async (oracle) => {
      oracle.faultStarts();
      proxies[1]!.blackhole();
      proxies[4]!.blackhole();
      await sleep(3_000);
      proxies[1]!.pass();
      proxies[4]!.pass();
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('delayed traffic (300 ms each way), then connections reset (RST)', async () => {
    const result = await schedule('delay 300 ms, then reset', async (oracle) => {
      oracle.faultStarts();
      proxies[2]!.delay(300);
      proxies[3]!.delay(300);
      await sleep(1_500);
      proxies[2]!.reset();
      proxies[3]!.reset();
      proxies[2]!.pass();
      proxies[3]!.pass();
      await sleep(1_000);
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('Redis SIGKILLed and restarted from its AOF', async () => {
    const result = await schedule('Redis SIGKILL + restart (AOF)', async (oracle) => {
      oracle.faultStarts();
      await redis.stop();
      await sleep(1_500);
      await redis.start();
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('Redis blocked (DEBUG SLEEP 1.5)', async () => {
    const result = await schedule('DEBUG SLEEP 1.5 s', async (oracle) => {
      oracle.faultStarts();
      await admin.call('DEBUG', 'SLEEP', '1.5').catch(() => undefined);
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('Redis paused (CLIENT PAUSE 1500 ALL)', async () => {
    const result = await schedule('CLIENT PAUSE 1.5 s', async (oracle) => {
      oracle.faultStarts();
      await admin.client('PAUSE', 1500, 'ALL');
      await sleep(1_500);
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('a re-sync over 1,000,000 keys: a partitioned instance falls behind the log, a new one starts, all reload while revocations go on', async () => {
    const result = await schedule(
      're-sync over 1,000,000 keys',
      async (oracle, workload) => {
        oracle.faultThroughout();
        proxies[1]!.blackhole();
        const exp = Date.now() / 1000 + 3600;
        await populate(redis.url, PREFIX, { tag: 'bulk', count: 1_000_000, exp });
        const loaded = performance.now();
        for (const i of [0, 1, 499_999, 999_998, 999_999]) workload.addRevoked(`bulk-${i}`, { jti: `bulk-${i}` }, loaded);
        for (let i = 0; i < 200; i++) {
          const n = Math.floor(Math.random() * 1_000_000);
          workload.addRevoked(`bulk-${n}`, { jti: `bulk-${n}` }, loaded);
        }
        proxies[1]!.pass();
        const fresh = await pool.open({ url: redis.url, keyPrefix: PREFIX, replicaMaxEntries: REPLICA_MAX });
        workload.join(fresh);
        stores.push(fresh);
        await sleep(2_000);
      },
      8_000,
    );
    expectClean(result);
  }, 240_000);

  it("the replica's memory at 1,000,000 revocations (retained heap after a full GC)", async () => {
    const before = await retainedHeap();
    const measured = new RedisRevocation({ url: redis.url, keyPrefix: PREFIX, replicaMaxEntries: REPLICA_MAX });
    const started = performance.now();
    try {
      await measured.onModuleInit();
      await waitFor(() => measured.usingReplica, 120_000, 'loaded');
      const loadMs = performance.now() - started;
      const grown = (await retainedHeap()) - before;
      replicaMemory = `replica at ${(await admin.dbsize()).toLocaleString('en')} keys: loaded in ${(loadMs / 1000).toFixed(1)} s, retained heap +${Math.round(grown / 1048576)} MiB`;
      expect(measured.isRevoked({ jti: 'bulk-123456' })).toBe(true);
      expect(grown).toBeLessThan(200 * 1024 * 1024);
    } finally {
      await measured.onModuleDestroy();
    }
  }, 180_000);

  it('eviction policy: a volatile-lru Redis is refused; on noeviction, a flood past maxmemory fails closed and forgets nothing', async () => {
    const oracle = new Oracle('eviction policy');
    const volatile = await startOwnRedis({ args: ['--maxmemory-policy', 'volatile-lru'] });
    const tight = await startOwnRedis({ args: ['--maxmemory-policy', 'noeviction', '--maxmemory', '3mb'] });
    const local = new StorePool();
    try {
      const refused = new RedisRevocation({ url: volatile.url, keyPrefix: PREFIX });
      await refused.onModuleInit().then(
        () => oracle.violation('started on volatile-lru'),
        () => oracle.judgedOne(true),
      );
      await refused.onModuleDestroy();
      const [a, b] = [await local.open({ url: tight.url, keyPrefix: PREFIX }), await local.open({ url: tight.url, keyPrefix: PREFIX })];
      await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'serving');
      const hour = Date.now() / 1000 + 3600;
      await a.revokeFamily('logged-out', hour);
      await a.rotate('rotated', 'r0', 'r1', hour);
      const resolvedAt = performance.now();
      // The refresh flood of the report: new logins refreshing until Redis is full.
      let refusedWrites = 0;
      for (let i = 0; i < 200_000 && refusedWrites < 200; i++) {
        try {
          await (i % 2 === 0 ? a : b).rotate(`flood-${i}-${'x'.repeat(200)}`, 'r0', 'r1', hour);
          oracle.wrote(true);
        } catch (error) {
          oracle.wrote(false);
          if ((error as { code?: string }).code === 'auth_unavailable') refusedWrites++;
          else oracle.violation(`flood: ${String(error)}`);
        }
      }
      expect(refusedWrites).toBe(200);
      for (const store of [a, b]) {
        for (const fresh of [false, true]) {
          const startedAt = performance.now();
          const answer = await Promise.resolve(store.isRevoked({ family: 'logged-out' }, { fresh })).catch(() => 'unavailable' as const);
          oracle.revoked('logged-out family', resolvedAt, startedAt, answer);
        }
        const replayed = await store.rotate('rotated', 'r0', 'r2', hour).catch(() => 'unavailable' as const);
        oracle.judgedOne(replayed);
        if (replayed === true) oracle.violation('a rotated refresh token was accepted again after the flood');
      }
    } finally {
      await local.closeAll();
      await Promise.all([volatile.remove(), tight.remove()]);
    }
    results.push(oracle.figures);
    expect(oracle.figures.violations).toEqual([]);
  }, 120_000);

  it('no unhandled rejection in the whole suite', () => {
    expect(rejections.reasons).toEqual([]);
  });
});
