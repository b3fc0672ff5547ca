import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRevocation, type PostgresRevocationOptions } from '../../src/postgres/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { startApp, type TestApp } from '../utils/app.js';
import { FaultProxy } from '../utils/fault-proxy.js';
import { sql, startOwnPostgres, terminateSessions, type OwnedPostgres } from '../utils/postgres.js';
import { countUnhandledRejections, waitFor } from '../utils/revocations.js';
import { Oracle, scheduleTable, type ScheduleResult } from './revocation-oracle.js';
import { AppWorkload, StoreWorkload } from './revocation-workload.js';

/**
 * The fault schedules of RedisRevocation (revocation.faults.ts), with the same workloads and the
 * same oracle, for PostgresRevocation. Three bare store instances and an Express + Fastify app
 * pair share a private PostgreSQL, each through its own TCP proxy that can black-hole, delay or
 * reset its traffic. Revocations, logouts, logout-alls and refreshes go through random instances
 * before, during and after each fault, and every answer is checked against what was revoked when:
 * every instance refuses a revocation within 100 ms when healthy and within 1 s under a fault (and
 * for 2 s after it), or answers 503; never "not revoked". A never-revoked token is never refused;
 * a rotated refresh token is never accepted twice.
 */

const PREFIX = 'faults_';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const results: ScheduleResult[] = [];
const rejections = countUnhandledRejections();

describe('PostgresRevocation fault schedules', () => {
  let db: OwnedPostgres;
  const proxies: FaultProxy[] = [];
  let stores: PostgresRevocation[];
  let apps: TestApp[];

  const url = (port: number): string => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const options = (proxy: FaultProxy): PostgresRevocationOptions => ({ connectionString: url(proxy.port), tablePrefix: PREFIX });
  const serving = (): boolean => stores.every((store) => store.usingReplica);

  beforeAll(async () => {
    db = await startOwnPostgres();
    for (let i = 0; i < 5; i++) proxies.push(await FaultProxy.start(db.port));
    stores = [];
    for (let i = 0; i < 3; i++) {
      const store = new PostgresRevocation(options(proxies[i]!));
      stores.push(store);
      await store.onModuleInit();
    }
    apps = [];
    for (const [i, adapter] of [
      [3, 'express'],
      [4, 'fastify'],
    ] as const) {
      apps.push(await startApp(adapter, { imports: [lifecycleModule(() => new PostgresRevocation(options(proxies[i]!)))] }));
    }
    await waitFor(serving, 10_000, 'every instance serving');
  }, 60_000);

  afterAll(async () => {
    db.resume();
    for (const proxy of proxies) proxy.pass();
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(stores.map((store) => store.onModuleDestroy()));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await db.remove();
    rejections.stop();
    console.log(`\nPostgresRevocation fault schedules (bound: 100 ms healthy, 1 s under a fault)\n${scheduleTable(results)}`);
    console.log(`unhandled rejections: ${rejections.count}`, rejections.reasons);
  });

  /** Runs the workloads for `ms`, with `fault` started 1.5 s in. Returns the schedule's figures once every instance serves again. */
  async function schedule(name: string, fault: (oracle: Oracle) => Promise<void>, ms = 6_000): Promise<ScheduleResult> {
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
      await fault(oracle);
      await sleep(Math.max(0, ms - (performance.now() - started)));
      await waitFor(serving, 30_000, `${name}: every instance serving again`);
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

  it('replica connections killed (pg_terminate_backend), again and again', async () => {
    const result = await schedule('replica connections killed', async (oracle) => {
      oracle.faultStarts();
      let killed = 0;
      for (let i = 0; i < 6; i++) {
        killed += await terminateSessions(db.url, `${PREFIX}replica`);
        await sleep(400);
      }
      oracle.faultEnds();
      expect(killed).toBeGreaterThanOrEqual(5);
    });
    expectClean(result);
  }, 60_000);

  it('every connection of every instance killed, commands in flight included', async () => {
    const result = await schedule('all connections killed', async (oracle) => {
      oracle.faultStarts();
      for (let i = 0; i < 3; i++) {
        await sql(
          db.url,
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'nestjs-warden%' OR application_name = $1",
          [`${PREFIX}replica`],
        );
        await sleep(500);
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

  it('PostgreSQL crashed (immediate shutdown) and restarted', async () => {
    const result = await schedule('server crash + restart', async (oracle) => {
      oracle.faultStarts();
      await db.stop();
      await sleep(1_500);
      await db.start();
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('PostgreSQL paused (SIGSTOP to the server and every backend for 1.5 s)', async () => {
    const result = await schedule('server paused (SIGSTOP 1.5 s)', async (oracle) => {
      oracle.faultStarts();
      db.pause();
      await sleep(1_500);
      db.resume();
      oracle.faultEnds();
    });
    expectClean(result);
  }, 60_000);

  it('a partitioned instance falls behind the trimmed log: it notices the gap and reloads while revocations go on', async () => {
    const result = await schedule(
      'behind a trimmed log',
      async (oracle) => {
        oracle.faultStarts();
        proxies[1]!.blackhole();
        await sleep(1_500);
        // Trim the whole log past what instance 1 read (the cleanup does this past logMaxRows).
        await sql(db.url, `DELETE FROM "public"."${PREFIX}revocation_log"`);
        await sleep(500);
        proxies[1]!.pass();
        oracle.faultEnds();
      },
      7_000,
    );
    expectClean(result);
  }, 60_000);

  it('no unhandled rejection in the whole suite', () => {
    expect(rejections.reasons).toEqual([]);
  });
});
