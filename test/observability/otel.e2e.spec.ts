import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthEvents, InMemoryRevocation } from '../../src/index.js';
import { instrumentAuth, WARDEN_METRICS, WardenTelemetry } from '../../src/otel/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { API_KEY, PASSWORD, observedModule } from './observability-app.js';
import { OtelSdk, valueOf } from './otel-sdk.js';

/** Issue 18, item 2: every instrument with the real SDK (in-memory reader and span exporter), on Express and Fastify. */
describe.each(ADAPTERS)('nestjs-warden/otel (%s)', (adapter) => {
  let t: TestApp | undefined;
  let sdk: OtelSdk | undefined;
  let telemetry: WardenTelemetry | undefined;
  afterEach(async () => {
    telemetry?.stop();
    await t?.close();
    await sdk?.shutdown();
    t = sdk = telemetry = undefined;
  });

  async function start(options: Parameters<typeof observedModule>[0] = {}): Promise<{ t: TestApp; sdk: OtelSdk }> {
    sdk = new OtelSdk();
    const own = sdk;
    t = await startApp(adapter, observedModule(options), (app) => {
      telemetry = instrumentAuth(app, { meterProvider: own.meterProvider, tracerProvider: own.tracerProvider });
    });
    return { t, sdk: own };
  }
  const login = async (app: TestApp, username: string): Promise<{ access_token: string; refresh_token: string }> =>
    (await app.http.post('/login').send({ username, password: PASSWORD })).body as { access_token: string; refresh_token: string };

  it('counts authentications by result, backend and error.type, and times them (seconds)', async () => {
    const { t, sdk } = await start();
    const pair = await login(t, 'ada');
    for (let i = 0; i < 3; i++) expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me').set('x-api-key', API_KEY)).status).toBe(200);
    expect((await t.http.get('/me').set('authorization', `Bearer ${hs(claims(), 'f'.repeat(32))}`)).status).toBe(401);
    expect((await t.http.get('/me')).status).toBe(401);
    expect((await t.http.get('/admin').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(403);

    const attempts = await sdk.points(WARDEN_METRICS.authentications);
    const success = { 'warden.authentication.result': 'success' };
    const failure = { 'warden.authentication.result': 'failure' };
    expect(valueOf(attempts, { ...success, 'warden.authentication.backend': 'jwt' })).toBe(3);
    expect(valueOf(attempts, { ...success, 'warden.authentication.backend': 'api_key' })).toBe(1);
    expect(valueOf(attempts, { ...failure, 'warden.authentication.backend': 'jwt', 'error.type': 'token_invalid' })).toBe(1);
    expect(valueOf(attempts, { ...failure, 'warden.authentication.backend': 'none', 'error.type': 'credentials_missing' })).toBe(1);
    expect(valueOf(attempts, { ...failure, 'warden.authentication.backend': 'jwt', 'error.type': 'permission_denied' })).toBe(1);

    const durations = await sdk.points(WARDEN_METRICS.authenticationDuration);
    expect(valueOf(durations, { ...success, 'warden.authentication.backend': 'jwt' })).toBe(3);
    expect(valueOf(durations, { ...failure, 'error.type': 'token_invalid' })).toBe(1);
    const total = durations.reduce((sum, point) => sum + (point.sum ?? 0), 0);
    // Seconds, not milliseconds: seven requests through the guard take well under a second.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(1);
    const metric = (await sdk.metrics()).get(WARDEN_METRICS.authenticationDuration)!;
    expect(metric.descriptor.unit).toBe('s');
  });

  it('counts token operations and refresh-token reuse', async () => {
    const { t, sdk } = await start();
    const pair = await login(t, 'bob');
    const next = await t.http.post('/refresh').send({ refresh_token: pair.refresh_token });
    expect(next.status).toBe(200);
    expect((await t.http.post('/refresh').send({ refresh_token: pair.refresh_token })).body.code).toBe('token_reused');
    const other = await login(t, 'cy');
    expect((await t.http.post('/logout-all').set('authorization', `Bearer ${other.access_token}`)).status).toBe(200);
    const third = await login(t, 'dee');
    expect((await t.http.post('/logout').set('authorization', `Bearer ${third.access_token}`)).status).toBe(200);

    const operations = await sdk.points(WARDEN_METRICS.tokenOperations);
    expect(valueOf(operations, { 'warden.token.operation': 'login' })).toBe(3);
    expect(valueOf(operations, { 'warden.token.operation': 'refresh' })).toBe(1);
    expect(valueOf(operations, { 'warden.token.operation': 'logout_all' })).toBe(1);
    expect(valueOf(operations, { 'warden.token.operation': 'logout' })).toBe(1);
    expect(valueOf(operations, { 'warden.token.operation': 'revoke' })).toBe(1);
    expect(valueOf(await sdk.points(WARDEN_METRICS.refreshReuses), {})).toBe(1);
    const refused = await sdk.points(WARDEN_METRICS.authentications);
    expect(valueOf(refused, { 'error.type': 'token_reused' })).toBe(1);
  });

  it('a user load is a span (child of the active span) and a warden.operation.duration point; a failed one is an error span', async () => {
    let fail = false;
    const { t, sdk } = await start({
      userLoader: async (context) => {
        if (fail) throw new Error('database down');
        return { id: context.userId, name: 'Ada' };
      },
    });
    const pair = await login(t, 'ada');
    expect((await t.http.get('/profile').set('authorization', `Bearer ${pair.access_token}`)).body.user).toEqual({
      id: 'ada',
      name: 'Ada',
    });
    fail = true;
    const down = await t.http.get('/profile').set('authorization', `Bearer ${pair.access_token}`);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('auth_unavailable');

    const spans = sdk.spans.getFinishedSpans().filter((span) => span.name === 'warden.user.load');
    expect(spans).toHaveLength(2);
    expect(spans[0]!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(spans[1]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(spans[1]!.attributes['error.type']).toBe('AuthUnavailableError');
    const loads = await sdk.points(WARDEN_METRICS.operationDuration);
    expect(valueOf(loads, { 'warden.operation': 'warden.user.load' })).toBe(2);
    expect(valueOf(loads, { 'warden.operation': 'warden.user.load', 'error.type': 'AuthUnavailableError' })).toBe(1);

    // Parent: the span active where the work runs (an HTTP server span, in an instrumented app).
    sdk.spans.reset();
    fail = false;
    const load = t.app.get(AuthEvents);
    const tracer = sdk.tracerProvider.getTracer('test');
    await tracer.startActiveSpan('request', async (parent) => {
      const loader = (t.app.get((await import('../../src/auth.config.js')).AuthConfig) as { loadUser: (c: unknown) => Promise<unknown> })
        .loadUser;
      await loader({ userId: 'ada', claims: {}, permissions: [], isStaff: false, isSuperuser: false, authBackend: 'jwt' });
      parent.end();
    });
    expect(load.active).toBe(true);
    const [child, parent] = sdk.spans.getFinishedSpans();
    expect(child!.name).toBe('warden.user.load');
    expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });

  it('stop() unsubscribes: the events go back to inactive, nothing more is recorded', async () => {
    const { t, sdk } = await start();
    const events = t.app.get(AuthEvents);
    expect(events.active).toBe(true);
    expect(events.tracer).toBeDefined();
    telemetry!.stop();
    expect(events.active).toBe(false);
    expect(events.tracer).toBeUndefined();
    const pair = await login(t, 'eve');
    expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect(await sdk.points(WARDEN_METRICS.authentications)).toEqual([]);
  });

  it('stops itself when the app closes: events inactive, the replica gauges no longer read the closed store', async () => {
    let reads = 0;
    let entries = 3;
    class ReplicaStore extends InMemoryRevocation {
      get replicaState(): { entries: number; stalenessMs: number; serving: boolean } {
        reads++;
        return { entries, stalenessMs: 0, serving: true };
      }
    }
    const { t: app, sdk } = await start({ revocation: new ReplicaStore() });
    const events = app.app.get(AuthEvents);
    expect(events.active).toBe(true);
    expect(await sdk.points(WARDEN_METRICS.replicaEntries)).toEqual([{ attributes: {}, value: 3 }]);
    expect(reads).toBeGreaterThan(0);
    await app.close();
    t = undefined;
    expect(events.active).toBe(false);
    expect(events.tracer).toBeUndefined();
    reads = 0;
    entries = 99;
    // The gauges' callbacks are off the meter: a collection reads nothing of the closed app (the SDK may repeat the last point).
    expect(await sdk.points(WARDEN_METRICS.replicaEntries)).not.toContainEqual({ attributes: {}, value: 99 });
    expect(reads).toBe(0);
    // stop() after the close is harmless.
    telemetry!.stop();
  });

  it('without an SDK (the global no-op providers) the app works the same', async () => {
    t = await startApp(adapter, observedModule(), (app) => {
      telemetry = instrumentAuth(app);
    });
    const pair = await login(t, 'fay');
    expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    expect((await t.http.get('/me')).status).toBe(401);
  });
});

describe('replica gauges', () => {
  it('read entries, staleness (s) and serving (1/0) from a store that reports a replica', async () => {
    const sdk = new OtelSdk();
    const events = new AuthEvents();
    const state = { entries: 12, stalenessMs: 250, serving: true };
    const telemetry = new WardenTelemetry(
      events,
      { attachEvents: () => undefined, replicaState: state },
      { meterProvider: sdk.meterProvider },
    );
    expect(await sdk.points(WARDEN_METRICS.replicaEntries)).toEqual([{ attributes: {}, value: 12 }]);
    expect(await sdk.points(WARDEN_METRICS.replicaStaleness)).toEqual([{ attributes: {}, value: 0.25 }]);
    expect(await sdk.points(WARDEN_METRICS.replicaServing)).toEqual([{ attributes: {}, value: 1 }]);
    state.serving = false;
    state.entries = 13;
    expect(await sdk.points(WARDEN_METRICS.replicaServing)).toEqual([{ attributes: {}, value: 0 }]);
    expect(await sdk.points(WARDEN_METRICS.replicaEntries)).toEqual([{ attributes: {}, value: 13 }]);
    telemetry.stop();
    await sdk.shutdown();
  });

  it('are not registered for a store without a replica', async () => {
    const sdk = new OtelSdk();
    const telemetry = new WardenTelemetry(new AuthEvents(), {}, { meterProvider: sdk.meterProvider });
    expect((await sdk.metrics()).has(WARDEN_METRICS.replicaEntries)).toBe(false);
    telemetry.stop();
    await sdk.shutdown();
  });
});
