import { performance } from 'node:perf_hooks';
import type { ArgumentsHost, ExecutionContext } from '@nestjs/common';
import type { AuthError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { requestOf } from '../contexts/request-of.js';
import type { EventSink } from './auth-event.interface.js';

/**
 * How the global guard and the error filter report a request: used only while someone listens
 * (`events.active`), so a request nobody observes pays one boolean read and nothing else.
 */

const OBSERVED = Symbol('warden:observed');

/** What the guard noted about a request it observed, for the filter that may answer it later. */
interface Observation {
  startedAt: number;
  route: string;
  /** The backend being tried, then the one that authenticated. */
  backend: string | null;
  /** The error the guard ended with, and after how long (a handler's errors are not the guard's time). */
  failure: unknown;
  durationMs: number | null;
}

type ObservedRequest = AuthRequest & { [OBSERVED]?: Observation };

/**
 * Runs the guard's plan for a request while someone listens: notes when it started and which
 * handler it is for, emits `authenticated` when a backend accepted the request and its guards
 * passed, and leaves refusals to the error filter (which sees every `AuthError`, the handlers' too).
 */
export function observeGuard<P>(
  events: EventSink,
  context: ExecutionContext,
  request: AuthRequest,
  plan: P | Promise<P>,
  run: (plan: P, context: ExecutionContext, request: AuthRequest) => boolean | Promise<boolean>,
): boolean | Promise<boolean> {
  const observation: Observation = {
    startedAt: performance.now(),
    route: `${context.getClass().name}.${context.getHandler().name}`,
    backend: null,
    failure: undefined,
    durationMs: null,
  };
  (request as ObservedRequest)[OBSERVED] = observation;
  let answer: boolean | Promise<boolean>;
  try {
    answer = plan instanceof Promise ? plan.then((ready: P) => run(ready, context, request)) : run(plan, context, request);
  } catch (error) {
    throw failed(observation, error);
  }
  if (!(answer instanceof Promise)) return passed(events, request, observation, answer);
  return answer.then(
    (allowed) => passed(events, request, observation, allowed),
    (error: unknown) => {
      throw failed(observation, error);
    },
  );
}

/** Notes the backend the guard is about to try (nothing unless the request is observed). */
export function noteBackend(request: AuthRequest, backend: string): void {
  const observation = (request as ObservedRequest)[OBSERVED];
  if (observation !== undefined) observation.backend = backend;
}

function passed(events: EventSink, request: AuthRequest, observation: Observation, allowed: boolean): boolean {
  observation.durationMs = performance.now() - observation.startedAt;
  const context = request.context;
  // A public route, or an anonymous request a guard let through: nothing was authenticated.
  if (context === undefined || context.authBackend === null) return allowed;
  events.emit({
    type: 'authenticated',
    backend: context.authBackend,
    userId: context.userId,
    route: observation.route,
    durationMs: observation.durationMs,
  });
  return allowed;
}

function failed(observation: Observation, error: unknown): unknown {
  observation.failure = error;
  observation.durationMs = performance.now() - observation.startedAt;
  return error;
}

/**
 * Reports an `AuthError` the filter is answering: `permission.denied` for a 403
 * `permission_denied`, `auth.refused` for anything else, with the backend, the handler and the
 * guard's time when the guard observed the request. Nothing unless someone listens.
 */
export function observeRefusal(events: EventSink | undefined, error: AuthError, host: ArgumentsHost): void {
  if (events?.active !== true) return;
  const request = requestOf(host) as ObservedRequest | undefined;
  const observation = request?.[OBSERVED];
  const authBackend = request?.context?.authBackend ?? null;
  const backend = error.code === 'credentials_missing' ? authBackend : (authBackend ?? observation?.backend ?? null);
  const route = observation?.route ?? null;
  const durationMs = observation !== undefined && observation.failure === error ? observation.durationMs : null;
  const context = host.getType<string>();
  if (error.code === 'permission_denied') {
    const userId = request?.context?.userId ?? null;
    events.emit({ type: 'permission.denied', code: error.code, backend, userId, route, context, durationMs });
    return;
  }
  events.emit({ type: 'auth.refused', code: error.code, status: error.getStatus(), backend, route, context, durationMs });
}
