import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRevocation, type PostgresRevocationOptions } from '../../src/postgres/index.js';
import { FaultProxy } from '../utils/fault-proxy.js';
import { startOwnPostgres, type OwnedPostgres } from '../utils/postgres.js';
import { answerOf, waitFor } from '../utils/revocations.js';

const hour = (): number => Date.now() / 1000 + 3600;

describe('PostgresRevocation replica: heartbeat, bound, memory cap', () => {
  let db: OwnedPostgres;
  const stores: PostgresRevocation[] = [];
  const proxies: FaultProxy[] = [];
  let n = 0;
  const open = async (options: Partial<PostgresRevocationOptions>, via?: FaultProxy): Promise<PostgresRevocation> => {
    const port = via?.port ?? db.port;
    const store = new PostgresRevocation({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, ...options });
    stores.push(store);
    await store.onModuleInit();
    return store;
  };
  const proxy = async (): Promise<FaultProxy> => {
    const created = await FaultProxy.start(db.port);
    proxies.push(created);
    return created;
  };

  beforeAll(async () => {
    db = await startOwnPostgres();
  });
  afterEach(async () => {
    for (const created of proxies) created.pass();
    await Promise.all(stores.splice(0).map((store) => store.onModuleDestroy()));
    await Promise.all(proxies.splice(0).map((created) => created.close()));
  });
  afterAll(async () => {
    await db.remove();
  });

  it('a silent partition is noticed within maxStalenessMs; checks then fail closed within timeoutMs; once healed, B reads on', async () => {
    const tablePrefix = `part_${++n}_`;
    const toB = await proxy();
    const a = await open({ tablePrefix });
    const b = await open({ tablePrefix, timeoutMs: 300 }, toB);
    await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
    const cut = performance.now();
    toB.blackhole();
    await a.revoke('during', hour());
    let wrongly = 0;
    while (b.usingReplica && performance.now() - cut < 3000) {
      if (b.isRevoked({ jti: 'during' }) === false && performance.now() - cut > 1000) wrongly++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(wrongly).toBe(0);
    expect(performance.now() - cut).toBeLessThan(1000 + 50);
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

  it('past replicaMaxEntries the replica no longer claims to hold everything: what it lacks is asked of the database, failing closed', async () => {
    const tablePrefix = `cap_${++n}_`;
    const toB = await proxy();
    const a = await open({ tablePrefix });
    const b = await open({ tablePrefix, replicaMaxEntries: 100, timeoutMs: 300 }, toB);
    await waitFor(() => a.usingReplica && b.usingReplica, 5_000, 'both serving');
    for (let i = 0; i < 150; i++) await a.revoke(`bound-${i}`, hour());
    await waitFor(() => !b.usingReplica, 1_000, 'B no longer complete');
    for (let i = 0; i < 150; i++) expect(await b.isRevoked({ jti: `bound-${i}` })).toBe(true);
    expect(await b.isRevoked({ jti: 'bound-never' })).toBe(false);
    // A new instance loads what fits and answers the rest from the database.
    const c = await open({ tablePrefix, replicaMaxEntries: 50 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = 0; i < 150; i++) expect(await c.isRevoked({ jti: `bound-${i}` })).toBe(true);
    expect(c.usingReplica).toBe(false);
    // The database unreachable: what B holds is still refused, what it lacks is 503, never "not revoked".
    toB.blackhole();
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => answerOf(b, { jti: `bound-${i}` })));
    expect(answers.filter((answer) => answer === false)).toEqual([]);
    expect(answers.filter((answer) => answer === true).length).toBeGreaterThanOrEqual(100);
    expect(await answerOf(b, { jti: 'bound-never' })).toBe('unavailable');
  });
});
