import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthEvents, type AuthEvent } from '../../src/index.js';
import { instrumentAuth, WARDEN_METRICS, type WardenTelemetry } from '../../src/otel/index.js';
import { RedisRevocation } from '../../src/redis/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { startOwnRedis, type OwnedRedis } from '../utils/redis.js';
import { PASSWORD, observedModule } from './observability-app.js';
import { OtelSdk, valueOf } from './otel-sdk.js';

/**
 * Issue 18: store unavailable / recovered, replica demoted / restored, the replica gauges and the
 * Redis spans, against a real Redis this test stops and starts again (its own redis-server).
 */
describe.each(ADAPTERS)('RedisRevocation events and metrics (%s)', (adapter) => {
  let redis: OwnedRedis;
  let t: TestApp;
  let store: RedisRevocation;
  let sdk: OtelSdk;
  let telemetry: WardenTelemetry;
  const seen: AuthEvent[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    sdk = new OtelSdk();
    store = new RedisRevocation({ url: redis.url, timeoutMs: 300 });
    t = await startApp(adapter, observedModule({ revocation: store }), (app) => {
      telemetry = instrumentAuth(app, { meterProvider: sdk.meterProvider, tracerProvider: sdk.tracerProvider });
      app.get(AuthEvents).subscribe((event) => seen.push(event));
    });
  });
  afterAll(async () => {
    telemetry.stop();
    await t.close();
    await redis.remove();
    await sdk.shutdown();
  });

  const until = async (predicate: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const types = (): string[] => seen.map((event) => event.type);

  it('a Redis stopped then started: one replica.demoted and one store.unavailable, then store.recovered and replica.restored; gauges and spans follow', async () => {
    await until(() => store.usingReplica, 5_000, 'the replica serves');
    const login = await t.http.post('/login').send({ username: 'ada', password: PASSWORD });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect(
      (
        await t.http
          .post('/revoke')
          .set('authorization', `Bearer ${token}`)
          .send({ token: (await t.http.post('/login').send({ username: 'bob', password: PASSWORD })).body.access_token })
      ).status,
    ).toBe(200);

    // Gauges while serving: 1, the two revocations held (jti and family), staleness under maxStalenessMs.
    expect(valueOf(await sdk.points(WARDEN_METRICS.replicaServing), {})).toBe(1);
    expect(valueOf(await sdk.points(WARDEN_METRICS.replicaEntries), {})).toBeGreaterThanOrEqual(2);
    const staleness = valueOf(await sdk.points(WARDEN_METRICS.replicaStaleness), {});
    expect(staleness).toBeGreaterThanOrEqual(0);
    expect(staleness).toBeLessThan(1);
    // The revoke went to Redis: a span with no secret in its attributes.
    const revokeSpans = sdk.spans.getFinishedSpans().filter((span) => span.name === 'warden.revocation.redis');
    expect(revokeSpans.map((span) => span.attributes['warden.store.operation'])).toContain('revoke');
    expect(revokeSpans.every((span) => span.attributes['db.system.name'] === 'redis')).toBe(true);
    expect(JSON.stringify(revokeSpans.map((span) => span.attributes))).not.toContain(token);

    seen.length = 0;
    await redis.stop();
    await until(() => !store.usingReplica, 3_000, 'the replica is demoted');
    // Requests that need Redis: 503, and one outage event however many requests fail.
    for (let i = 0; i < 5; i++) {
      const res = await t.http.get('/me').set('authorization', `Bearer ${token}`);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
    }
    await until(() => types().includes('store.unavailable'), 3_000, 'store.unavailable');
    expect(types().filter((type) => type === 'replica.demoted')).toHaveLength(1);
    expect(types().filter((type) => type === 'store.unavailable')).toHaveLength(1);
    expect(types().filter((type) => type === 'auth.refused')).toHaveLength(5);
    const outage = seen.find((event) => event.type === 'store.unavailable');
    expect(outage).toMatchObject({ store: 'redis', reason: expect.any(String) });
    expect(seen.find((event) => event.type === 'replica.demoted')).toMatchObject({ store: 'redis', reason: expect.any(String) });
    expect(valueOf(await sdk.points(WARDEN_METRICS.replicaServing), {})).toBe(0);
    expect(valueOf(await sdk.points(WARDEN_METRICS.storeOutages), { 'warden.store': 'redis' })).toBe(1);
    expect(valueOf(await sdk.points(WARDEN_METRICS.replicaDemotions), { 'warden.store': 'redis' })).toBe(1);
    expect(valueOf(await sdk.points(WARDEN_METRICS.authentications), { 'error.type': 'auth_unavailable' })).toBe(5);
    const failed = sdk.spans
      .getFinishedSpans()
      .filter((span) => span.name === 'warden.revocation.redis' && span.status.code === SpanStatusCode.ERROR);
    expect(failed.length).toBeGreaterThan(0);

    await redis.start();
    await until(() => store.usingReplica, 5_000, 'the replica serves again');
    // The first Redis answer after the outage: a request the replica cannot answer alone (a fresh check).
    await until(
      async () => (await t.http.post('/refresh').send({ refresh_token: login.body.refresh_token })).status !== 503,
      5_000,
      'a refresh works',
    );
    await until(() => types().includes('store.recovered') && types().includes('replica.restored'), 3_000, 'recovered and restored');
    const recovered = seen.find((event) => event.type === 'store.recovered') as { downtimeMs: number };
    expect(recovered.downtimeMs).toBeGreaterThan(0);
    expect(types().filter((type) => type === 'store.recovered')).toHaveLength(1);
    expect(types().filter((type) => type === 'replica.restored')).toHaveLength(1);
    expect(valueOf(await sdk.points(WARDEN_METRICS.replicaServing), {})).toBe(1);
    expect((await t.http.get('/me').set('authorization', `Bearer ${token}`)).status).toBe(200);
  });
});
