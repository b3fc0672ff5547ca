import { Injectable, Logger } from '@nestjs/common';
import type { AuthEvent, AuthEventListener, EventSink, WorkTracer } from './auth-event.interface.js';
import { describeError, logLine } from './event-log.js';

/**
 * The app's auth events: subscribe to learn about logins, refreshes, refresh-token reuse,
 * logouts, revocations, refused and denied requests, store outages, key-set fetches and the
 * revocation replica (see `AuthEvent`). Injectable once `AuthModule` is imported.
 *
 * Delivery is synchronous, in the request that caused the event. While nobody listens, the
 * per-request events are not even built (the hot path allocates nothing); the rare ones
 * (reuse, outages, key sets, replica) are always logged through Nest's `Logger`. A listener
 * that throws never breaks a request: the error is logged once per listener and ignored.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class AuditLog implements OnModuleInit {
 *   constructor(private readonly events: AuthEvents) {}
 *   onModuleInit(): void {
 *     this.events.subscribe((event) => {
 *       if (event.type === 'refresh.reused') this.alert(`login ${event.family} of ${event.userId} replayed`);
 *     });
 *   }
 * }
 * ```
 */
@Injectable()
export class AuthEvents implements EventSink {
  private listeners: readonly AuthEventListener[] = [];
  private readonly failed = new WeakSet<AuthEventListener>();
  private readonly logger = new Logger('AuthEvents');
  private tracers: readonly WorkTracer[] = [];
  private activeNow = false;

  /** Whether anyone listens. Build a per-request event only when this is `true`. */
  get active(): boolean {
    return this.activeNow;
  }

  /** The tracer an integration installed (`traceWith`), if any. */
  get tracer(): WorkTracer | undefined {
    return this.tracers[this.tracers.length - 1];
  }

  /**
   * Calls `listener` with every event from now on, synchronously. Returns the function that
   * unsubscribes it (subscribing the same function twice delivers twice).
   */
  subscribe(listener: AuthEventListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('AuthEvents.subscribe: the listener must be a function');
    this.listeners = [...this.listeners, listener];
    this.activeNow = true;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const index = this.listeners.indexOf(listener);
      this.listeners = this.listeners.filter((_, i) => i !== index);
      this.activeNow = this.listeners.length > 0;
    };
  }

  /**
   * Installs a tracer that times the work that costs (key-set fetches, user loads, store
   * calls): what `nestjs-warden/otel` does. The latest one installed is used; returns the
   * function that removes it.
   */
  traceWith(tracer: WorkTracer): () => void {
    this.tracers = [...this.tracers, tracer];
    return () => {
      this.tracers = this.tracers.filter((installed) => installed !== tracer);
    };
  }

  /** Logs the event when it is notable, then hands it to every listener, in order. Never throws. */
  emit(event: AuthEvent): void {
    const line = logLine(event);
    if (line !== undefined) this.logger[line[0]](line[1]);
    // The array is replaced, never changed, on (un)subscribe: a listener that unsubscribes during delivery is safe.
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i]!;
      try {
        listener(event);
      } catch (error) {
        if (this.failed.has(listener)) continue;
        this.failed.add(listener);
        this.logger.error(`An AuthEvents listener threw on '${event.type}' (${describeError(error)}); it is kept, and its errors ignored`);
      }
    }
  }
}
