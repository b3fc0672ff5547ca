import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRevocation } from '../../src/postgres/index.js';
import { lifecycleModule } from '../tokens/lifecycle-app.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { usePostgres } from '../utils/postgres.js';
import { waitFor } from '../utils/revocations.js';

describe.each(ADAPTERS)('two instances sharing one PostgreSQL (%s)', (adapter) => {
  let db: Awaited<ReturnType<typeof usePostgres>>;
  let a: TestApp;
  let b: TestApp;
  const stores: PostgresRevocation[] = [];

  beforeAll(async () => {
    db = await usePostgres();
    const tablePrefix = `multi_${adapter}_${Date.now() % 100000}_`;
    const store = (): PostgresRevocation => {
      const created = new PostgresRevocation({ connectionString: db.url, tablePrefix });
      stores.push(created);
      return created;
    };
    a = await startApp(adapter, { imports: [lifecycleModule(store)] });
    b = await startApp(adapter, { imports: [lifecycleModule(store)] });
    await waitFor(() => stores.every((s) => s.usingReplica), 5_000, 'both replicas serving');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  const login = async (app: TestApp, id = '5') =>
    (await app.http.post('/auth/login').send({ id })).body as { access_token: string; refresh_token: string };
  const me = (app: TestApp, token: string) => app.http.get('/auth/me').set('authorization', `Bearer ${token}`);

  it("a token revoked through A is refused by B within 100 ms, answered from B's local replica", async () => {
    for (let round = 0; round < 5; round++) {
      const pair = await login(a);
      expect((await me(b, pair.access_token)).status).toBe(200);
      expect((await a.http.post('/auth/logout').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
      const started = Date.now();
      let res = await me(b, pair.access_token);
      while (res.status === 200 && Date.now() - started < 100) res = await me(b, pair.access_token);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_revoked');
      expect(res.headers['www-authenticate']).toContain('Bearer realm="api"');
    }
    expect(stores.every((s) => s.usingReplica)).toBe(true);
  });

  it('a refresh rotated on A cannot be replayed on B (401 token_reused), and the family dies everywhere', async () => {
    const pair = await login(a);
    const rotated = await a.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(rotated.status).toBe(200);
    const replay = await b.http.post('/auth/refresh').send({ refresh_token: pair.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('token_reused');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const app of [a, b]) expect((await me(app, rotated.body.access_token)).body.code).toBe('token_revoked');
    const again = await a.http.post('/auth/refresh').send({ refresh_token: rotated.body.refresh_token });
    expect(again.status).toBe(401);
  });

  it('the same refresh token 20 times at once, split over both instances: at most one new pair, the others 401', async () => {
    const pair = await login(a, 'twenty');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).http.post('/auth/refresh').send({ refresh_token: pair.refresh_token })),
    );
    // One compare-and-set: never two pairs; whether the winner's last check passes is timing (see refresh-races).
    const issued = results.filter((res) => res.status === 200).length;
    expect(issued).toBeLessThanOrEqual(1);
    const refused = results.filter((res) => res.status === 401);
    expect(refused).toHaveLength(20 - issued);
    expect(refused.some((res) => res.body.code === 'token_reused')).toBe(true);
    expect(refused.every((res) => ['token_reused', 'token_revoked'].includes(res.body.code as string))).toBe(true);
    // Reuse revoked the family: a pair that was issued is dead too, on both instances.
    const winner = results.find((res) => res.status === 200)?.body as { access_token: string } | undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (winner !== undefined) for (const app of [a, b]) expect((await me(app, winner.access_token)).status).toBe(401);
  });

  it('logout-all on A is seen by B, and a login right after it works', async () => {
    const pair = await login(a, 'everyone');
    await a.http.post('/auth/logout-all').set('authorization', `Bearer ${pair.access_token}`);
    const after = await login(b, 'everyone');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await me(b, pair.access_token)).body.code).toBe('token_revoked');
    expect((await me(a, after.access_token)).status).toBe(200);
    expect((await me(b, after.access_token)).status).toBe(200);
  });
});
