import { performance } from 'node:perf_hooks';
import type { RequestContext } from '../context/request-context.interface.js';
import type { EventSink, ObservableStore } from './auth-event.interface.js';
import { describeError } from './event-log.js';

/**
 * The work that costs, timed for a tracer (`nestjs-warden/otel`) when one is installed, and
 * store outages reported once each. Without a tracer, nothing is timed and nothing allocated.
 */

/** Hands a store the app's events when it can report them (`RedisRevocation` does). */
export function attachStore(store: unknown, events: EventSink): void {
  const observable = store as Partial<ObservableStore> | null | undefined;
  if (typeof observable?.attachEvents === 'function') observable.attachEvents(events);
}

/** The app's user loader, timed as `warden.user.load` while a tracer is installed. */
export function traceLoader(
  events: EventSink,
  load: ((context: RequestContext) => Promise<unknown>) | undefined,
): ((context: RequestContext) => Promise<unknown>) | undefined {
  if (load === undefined) return undefined;
  return (context) => {
    const span = events.tracer?.start('warden.user.load', {});
    if (span === undefined) return load(context);
    return load(context).then(
      (user) => {
        span.end();
        return user;
      },
      (error: unknown) => {
        span.end(error);
        throw error;
      },
    );
  };
}

/**
 * Times one store call as `name` (e.g. `'warden.revocation.redis'`) while a tracer is
 * installed; otherwise returns the call's own Promise untouched.
 */
export function traced<T>(
  events: EventSink | undefined,
  name: string,
  attributes: Readonly<Record<string, string>>,
  call: () => Promise<T>,
): Promise<T> {
  const span = events?.tracer?.start(name, attributes);
  if (span === undefined) return call();
  return call().then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      span.end(error);
      throw error;
    },
  );
}

/**
 * Whether a store answers, as transitions: the first failure of an outage emits
 * `store.unavailable` (logged as an error), the first answer after it `store.recovered`
 * (logged). Per call it costs one comparison.
 */
export class StoreHealth {
  private downSince: number | undefined;
  private events: EventSink | undefined;

  constructor(private readonly store: string) {}

  /** Where to report (the app's `AuthEvents`); before this, outages are tracked but not reported. */
  attach(events: EventSink): void {
    this.events = events;
  }

  /** Whether the store is in an outage. */
  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** A call failed (timed out, refused, connection lost). */
  failed(error: unknown): void {
    if (this.downSince !== undefined) return;
    this.downSince = performance.now();
    this.events?.emit({ type: 'store.unavailable', store: this.store, reason: describeError(error) });
  }

  /** A call was answered. */
  answered(): void {
    if (this.downSince === undefined) return;
    const downtimeMs = performance.now() - this.downSince;
    this.downSince = undefined;
    this.events?.emit({ type: 'store.recovered', store: this.store, downtimeMs });
  }
}
