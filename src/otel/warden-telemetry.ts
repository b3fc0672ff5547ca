import { performance } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import {
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type MeterProvider,
  type ObservableResult,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { AuthConfig } from '../auth.config.js';
import type { AuthEvent, ObservableStore, WorkSpan, WorkTracer } from '../events/auth-event.interface.js';
import { AuthEvents } from '../events/auth-events.js';
import { describeError } from '../events/event-log.js';
import { RevocationStore } from '../revocation/revocation.store.js';
import { WARDEN_METRICS as M } from './metric-names.js';

/** Where the instruments come from: the global providers (what an SDK registers) unless given. */
export interface WardenTelemetryOptions {
  /** @default the global `MeterProvider` (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** @default the global `TracerProvider` (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
}

const SCOPE = 'nestjs-warden';
/** Seconds, from 50 µs (a cached JWT) to 2.5 s (a user loader or store timing out). */
const DURATION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const TOKEN_OPERATIONS: Partial<Record<AuthEvent['type'], string>> = {
  login: 'login',
  refresh: 'refresh',
  logout: 'logout',
  'logout.all': 'logout_all',
  revoked: 'revoke',
};

/**
 * nestjs-warden's OpenTelemetry instruments for one app: counters and a histogram of
 * authentications, token operations, reuse, outages and key-set fetches (from `AuthEvents`),
 * gauges of the revocation replica, and a span around each piece of work that costs (key-set
 * fetch, user load, Redis call), child of the active span. Attributes carry ids and codes, never
 * a credential. A no-op until the app installs an OpenTelemetry SDK. Made by {@link instrumentAuth}.
 */
export class WardenTelemetry {
  private readonly stops: Array<() => void> = [];
  private readonly attempts: Counter;
  private readonly duration: Histogram;
  private readonly tokenOperations: Counter;
  private readonly reuses: Counter;
  private readonly outages: Counter;
  private readonly jwksFetches: Counter;
  private readonly demotions: Counter;
  private readonly operationDuration: Histogram;
  private readonly tracer: Tracer;

  constructor(events: AuthEvents, store: unknown, options: WardenTelemetryOptions = {}) {
    const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
    this.tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
    this.attempts = meter.createCounter(M.authentications, { unit: '{attempt}', description: 'Requests the global guard decided' });
    this.duration = meter.createHistogram(M.authenticationDuration, { ...seconds, description: 'Time spent in the global guard' });
    this.tokenOperations = meter.createCounter(M.tokenOperations, { unit: '{operation}', description: 'Token operations' });
    this.reuses = meter.createCounter(M.refreshReuses, { unit: '{reuse}', description: 'Refresh tokens presented twice' });
    this.outages = meter.createCounter(M.storeOutages, { unit: '{outage}', description: 'Store outages' });
    this.jwksFetches = meter.createCounter(M.jwksFetches, { unit: '{fetch}', description: 'Remote key-set fetches' });
    this.demotions = meter.createCounter(M.replicaDemotions, { unit: '{demotion}', description: 'Revocation replica demotions' });
    this.operationDuration = meter.createHistogram(M.operationDuration, {
      ...seconds,
      description: 'Work that costs: fetches, loads, store calls',
    });
    this.observeReplica(meter, store);
    this.stops.push(events.subscribe((event) => this.record(event)));
    this.stops.push(events.traceWith(this.workTracer()));
  }

  /**
   * Stops recording: no more events counted, the replica gauges' callbacks removed from the meter
   * (the instruments stay registered, and read nothing more). Called when the app closes; call it
   * sooner to stop early. Calling it again does nothing.
   */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private record(event: AuthEvent): void {
    switch (event.type) {
      case 'authenticated':
        return this.decided(
          { 'warden.authentication.result': 'success', 'warden.authentication.backend': event.backend },
          event.durationMs,
        );
      case 'auth.refused':
      case 'permission.denied':
        return this.decided(
          { 'warden.authentication.result': 'failure', 'warden.authentication.backend': event.backend ?? 'none', 'error.type': event.code },
          event.durationMs,
        );
      case 'refresh.reused':
        this.reuses.add(1);
        return;
      case 'store.unavailable':
        this.outages.add(1, { 'warden.store': event.store });
        return;
      case 'jwks.refreshed':
      case 'jwks.failed':
        this.jwksFetches.add(1, { 'warden.jwks.result': event.type === 'jwks.refreshed' ? 'success' : 'failure' });
        return;
      case 'replica.demoted':
        this.demotions.add(1, { 'warden.store': event.store });
        return;
      default: {
        const operation = TOKEN_OPERATIONS[event.type];
        if (operation !== undefined) this.tokenOperations.add(1, { 'warden.token.operation': operation });
      }
    }
  }

  private decided(attributes: Attributes, durationMs: number | null): void {
    this.attempts.add(1, attributes);
    if (durationMs !== null) this.duration.record(durationMs / 1000, attributes);
  }

  /** Spans (children of the active span) and `warden.operation.duration` for the work a tracer is handed. */
  private workTracer(): WorkTracer {
    return {
      start: (name, attributes): WorkSpan => {
        const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
        const startedAt = performance.now();
        return {
          end: (error?: unknown) => {
            const seconds = (performance.now() - startedAt) / 1000;
            if (error === undefined) {
              this.operationDuration.record(seconds, { 'warden.operation': name });
            } else {
              const type = error instanceof Error ? error.name : 'Error';
              span.setAttribute('error.type', type);
              span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
              this.operationDuration.record(seconds, { 'warden.operation': name, 'error.type': type });
            }
            span.end();
          },
        };
      },
    };
  }

  /** Gauges of a store that keeps a local revocation replica (`RedisRevocation`); none otherwise. */
  private observeReplica(meter: ReturnType<MeterProvider['getMeter']>, store: unknown): void {
    const source = store as Partial<ObservableStore> | undefined;
    if (source === undefined || source === null || !('replicaState' in source)) return;
    const entries = meter.createObservableGauge(M.replicaEntries, {
      unit: '{entry}',
      description: 'Revocations held by the local replica',
    });
    const staleness = meter.createObservableGauge(M.replicaStaleness, {
      unit: 's',
      description: 'Time since the replica was last current',
    });
    const serving = meter.createObservableGauge(M.replicaServing, { unit: '1', description: '1 while the replica answers locally' });
    const read =
      (observe: (state: NonNullable<ObservableStore['replicaState']>, result: ObservableResult) => void) => (result: ObservableResult) => {
        const state = source.replicaState;
        if (state !== undefined) observe(state, result);
      };
    const onEntries = read((state, result) => result.observe(state.entries));
    // A replica that never read the log reports no staleness (Infinity is not a number an exporter keeps).
    const onStaleness = read((state, result) => {
      if (Number.isFinite(state.stalenessMs)) result.observe(state.stalenessMs / 1000);
    });
    const onServing = read((state, result) => result.observe(state.serving ? 1 : 0));
    entries.addCallback(onEntries);
    staleness.addCallback(onStaleness);
    serving.addCallback(onServing);
    this.stops.push(() => {
      entries.removeCallback(onEntries);
      staleness.removeCallback(onStaleness);
      serving.removeCallback(onServing);
    });
  }
}

/**
 * Instruments an app's authentication with OpenTelemetry: call it once, after creating the app
 * (before `listen()`). Uses the global providers an SDK registers (or those given); a no-op
 * without an SDK. Returns the {@link WardenTelemetry}. It stops itself when the app closes
 * (`app.close()`), so a closed app leaves no callback on a global `MeterProvider`; `stop()` it to
 * stop recording sooner.
 *
 * @example
 * ```ts
 * import { instrumentAuth } from 'nestjs-warden/otel';
 *
 * const app = await NestFactory.create(AppModule);
 * instrumentAuth(app);
 * await app.listen(3000);
 * ```
 */
export function instrumentAuth(app: INestApplicationContext, options: WardenTelemetryOptions = {}): WardenTelemetry {
  const events = app.get(AuthEvents, { strict: false });
  let store: unknown;
  try {
    store = app.get(RevocationStore, { strict: false });
  } catch {
    store = undefined;
  }
  const telemetry = new WardenTelemetry(events, store, options);
  app.get(AuthConfig, { strict: false }).onClose(() => telemetry.stop());
  return telemetry;
}
