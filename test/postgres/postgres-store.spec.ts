import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRevocation } from '../../src/index.js';
import { PostgresRevocation, postgresRevocationSql, type PostgresRevocationOptions } from '../../src/postgres/index.js';
import { freePort } from '../utils/redis.js';
import { sql, usePostgres } from '../utils/postgres.js';
import { answerOf, waitFor } from '../utils/revocations.js';

const hour = (): number => Date.now() / 1000 + 3600;

describe('PostgresRevocation: tables, statements, cleanup', () => {
  let db: { url: string; close(): Promise<void> };
  const stores: PostgresRevocation[] = [];
  let n = 0;
  const prefix = (): string => `t${Date.now() % 100000}_${++n}_`;
  const open = async (options: Partial<PostgresRevocationOptions> = {}): Promise<PostgresRevocation> => {
    const store = new PostgresRevocation({ connectionString: db.url, ...options });
    stores.push(store);
    await store.onModuleInit();
    return store;
  };

  beforeAll(async () => {
    db = await usePostgres();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.onModuleDestroy()));
  });
  afterAll(async () => {
    await db.close();
  });

  it('refuses bad options at construction with a TypeError that says what to fix', () => {
    expect(() => new PostgresRevocation({})).toThrow(/needs `connectionString` or `pool`/);
    expect(() => new PostgresRevocation({ connectionString: db.url, schema: 'auth"; DROP TABLE x; --' })).toThrow(/`schema` must be/);
    expect(() => new PostgresRevocation({ connectionString: db.url, tablePrefix: 'Warden-' })).toThrow(/`tablePrefix` must be/);
    expect(() => new PostgresRevocation({ connectionString: db.url, heartbeatMs: 1000, maxStalenessMs: 1000 })).toThrow(/heartbeatMs/);
    expect(() => new PostgresRevocation({ connectionString: db.url, timeoutMs: 0 })).toThrow(/`timeoutMs` must be a whole number/);
  });

  it('creates its tables at start-up in the configured schema with the configured prefix (instances starting together do not collide)', async () => {
    const p = prefix();
    const schema = `s_${p}`.slice(0, 40);
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => open({ schema, tablePrefix: p })));
    const tables = await sql<{ tablename: string }>(db.url, 'SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [
      schema,
    ]);
    expect(tables.map((row) => row.tablename)).toEqual([`${p}revocation_log`, `${p}revocation_state`, `${p}revocations`, `${p}rotations`]);
    await a!.revoke('j1', hour());
    expect(await b!.isRevoked({ jti: 'j1' }, { fresh: true })).toBe(true);
    await waitFor(() => c!.isRevoked({ jti: 'j1' }) === true, 1000, 'C sees it');
  });

  it('createTables: false refuses to start until the migration has run, then starts on the migrated tables', async () => {
    const p = prefix();
    const refused = new PostgresRevocation({ connectionString: db.url, tablePrefix: p, createTables: false });
    stores.push(refused);
    await expect(refused.onModuleInit()).rejects.toThrow(/refuses to start: .*does not exist.*migration/);
    await expect(refused.revoke('x', hour())).rejects.toMatchObject({ code: 'auth_unavailable' });
    // The shipped migration is idempotent: run twice.
    await sql(db.url, postgresRevocationSql({ tablePrefix: p }));
    await sql(db.url, postgresRevocationSql({ tablePrefix: p }));
    const store = await open({ tablePrefix: p, createTables: false });
    await store.revoke('after-migration', hour());
    expect(await store.isRevoked({ jti: 'after-migration' }, { fresh: true })).toBe(true);
  });

  it("uses the application's own pg.Pool and leaves it open", async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      const store = await open({ pool, tablePrefix: prefix() });
      await store.revokeFamily('fam', hour());
      await waitFor(() => store.usingReplica, 3000, 'serving');
      expect(store.isRevoked({ family: 'fam' })).toBe(true);
      await store.onModuleDestroy();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('rotate is one compare-and-set: 20 at once over two instances, one wins; a replay is refused; an expired record counts as absent', async () => {
    const p = prefix();
    const [a, b] = [await open({ tablePrefix: p }), await open({ tablePrefix: p })];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).rotate('fam', 'r0', `r1-${i}`, hour())));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `r1-${results.indexOf(true)}`;
    expect(await b.rotate('fam', 'r0', 'r2', hour())).toBe(false);
    expect(await a.rotate('fam', winner, 'r2', hour())).toBe(true);
    // One record per login, however many refreshes.
    for (let i = 3; i < 50; i++) expect(await b.rotate('fam', `r${i - 1}`, `r${i}`, hour())).toBe(true);
    expect(await sql(db.url, `SELECT family FROM "public"."${p}rotations"`)).toHaveLength(1);
    await sql(db.url, `UPDATE "public"."${p}rotations" SET expires_at = 1`);
    expect(await a.rotate('fam', 'anything', 'fresh', hour())).toBe(true);
  });

  it('logout-all cut-offs (ms) combine as in the other stores: fresh answers match InMemoryRevocation over random sequences', async () => {
    const p = prefix();
    const store = await open({ tablePrefix: p, timeoutMs: 5000 });
    const base = Date.now() - 10_000;
    let run = 0;
    const call = fc.record({
      cutoff: fc.integer({ min: 0, max: 6 }).map((step) => base + step * 1000),
      except: fc.option(fc.constantFrom('fa', 'fb'), { nil: undefined }),
    });
    const query = fc.record({
      at: fc.integer({ min: -1, max: 7 }).map((step) => base + step * 1000),
      family: fc.constantFrom('fa', 'fb', 'fc'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 5 }),
        fc.array(query, { minLength: 1, maxLength: 6 }),
        async (calls, queries) => {
          const sub = `u${++run}`;
          const memory = new InMemoryRevocation();
          try {
            for (const { cutoff, except } of calls) {
              await store.revokeAllForUser(sub, cutoff, hour(), { except });
              await memory.revokeAllForUser(sub, cutoff, hour(), { except });
            }
            for (const { at, family } of queries) {
              const q = { sub, family, issuedAtMs: at };
              expect(await store.isRevoked(q, { fresh: true }), JSON.stringify({ calls, q })).toBe(memory.isRevoked(q));
            }
            await waitFor(() => store.usingReplica, 2000, 'serving');
            for (const { at, family } of queries) {
              const q = { sub, family, issuedAtMs: at };
              expect(store.isRevoked(q), JSON.stringify({ calls, q })).toBe(memory.isRevoked(q));
            }
          } finally {
            memory.onModuleDestroy();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('an expired token is not stored; entries expire with their tokens; the cleanup deletes expired rows in small batches and trims the log', async () => {
    const p = prefix();
    const store = await open({ tablePrefix: p, cleanupBatchSize: 500, logMaxRows: 100 });
    await store.revoke('already-expired', Date.now() / 1000 - 5);
    expect(await sql(db.url, `SELECT id FROM "public"."${p}revocations"`)).toEqual([]);
    for (let i = 0; i < 150; i++) await store.revoke(`live-${i}`, hour());
    await sql(
      db.url,
      `INSERT INTO "public"."${p}revocations" (kind, id, expires_at) SELECT 'j', 'old-' || i, 1 FROM generate_series(1, 2200) AS i`,
    );
    await sql(
      db.url,
      `INSERT INTO "public"."${p}rotations" (family, live, expires_at) SELECT 'old-' || i, 'r', 1 FROM generate_series(1, 700) AS i`,
    );
    expect(await store.isRevoked({ jti: 'old-1' }, { fresh: true })).toBe(false);
    const started = performance.now();
    expect(await store.cleanup()).toEqual({ revocations: 2200, rotations: 700, log: 50 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await sql(db.url, `SELECT count(*)::int AS n FROM "public"."${p}revocations"`)).toEqual([{ n: 150 }]);
    expect(await sql(db.url, `SELECT min(seq)::int AS first, count(*)::int AS n FROM "public"."${p}revocation_log"`)).toEqual([
      { first: 51, n: 100 },
    ]);
    expect(await store.isRevoked({ jti: 'live-0' }, { fresh: true })).toBe(true);
  });

  it('the database unreachable: every method fails closed (503 auth_unavailable) within timeoutMs, never "not revoked"', async () => {
    const port = await freePort();
    const store = new PostgresRevocation({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, timeoutMs: 200 });
    stores.push(store);
    await store.onModuleInit();
    for (const attempt of [
      async () => store.isRevoked({ jti: 'x' }),
      async () => store.isRevoked({ jti: 'x' }, { fresh: true }),
      async () => store.revoke('x', hour()),
      async () => store.rotate('f', 'a', 'b', hour()),
    ]) {
      const at = performance.now();
      await expect(attempt()).rejects.toMatchObject({ code: 'auth_unavailable' });
      expect(performance.now() - at).toBeLessThan(400);
    }
    expect(await answerOf(store, { jti: 'x' })).toBe('unavailable');
  });
});
