import type { AuthErrorCode } from '../auth.errors.js';

/**
 * What nestjs-warden reports through {@link AuthEvents}. No event carries a credential: no
 * token, secret, API key, cookie or password; identifiers only (`userId` is the token's `sub`,
 * `family` its login id, `jti` a token id), which is what an operator needs to follow a login.
 */

/** A token pair was issued by `TokenService.createTokenPair()` (a login). */
export interface LoginEvent {
  type: 'login';
  userId: string;
  family: string;
}

/** `TokenService.refresh()` issued a new pair for a login. */
export interface RefreshEvent {
  type: 'refresh';
  userId: string;
  family: string;
}

/** A refresh token was presented a second time: its whole login family was revoked (401 `token_reused`). */
export interface RefreshReusedEvent {
  type: 'refresh.reused';
  userId: string;
  family: string;
}

/** `TokenService.logout()` ended the login of a request (its family revoked, cookies cleared). */
export interface LogoutEvent {
  type: 'logout';
  userId: string;
  family: string | null;
}

/** `TokenService.revokeAllForUser()`: every token of `userId` issued before it is refused. */
export interface LogoutAllEvent {
  type: 'logout.all';
  userId: string;
  /** The login spared (`except`), if any. */
  except: string | null;
}

/** `TokenService.revoke()`: one token (by `jti`), or with it its login family. */
export interface RevokedEvent {
  type: 'revoked';
  /** `null` when revoked by a bare `jti`. */
  userId: string | null;
  jti: string | null;
  /** The login family revoked with it (`{ family: true }`, or an expired token ending its login). */
  family: string | null;
}

/** The global guard authenticated a request (a backend accepted its credential and the guards passed). */
export interface AuthenticatedEvent {
  type: 'authenticated';
  backend: string;
  userId: string | null;
  /** The handler, as `Controller.method`. */
  route: string | null;
  /** Time spent in the global guard (backends, revocation, guards), in milliseconds. */
  durationMs: number;
}

/** A request was refused with an `AuthError` (any status but 403 `permission_denied`). */
export interface AuthRefusedEvent {
  type: 'auth.refused';
  code: AuthErrorCode;
  status: number;
  /** The backend that refused the credential, or the one that had authenticated the request; `null` when none. */
  backend: string | null;
  route: string | null;
  /** The execution context: `'http'`, `'rpc'`, `'ws'`, `'graphql'`. */
  context: string;
  /** Time spent in the global guard until the refusal; `null` when a handler threw (e.g. `TokenService.refresh`). */
  durationMs: number | null;
}

/** An authenticated request was refused by a guard: 403 `permission_denied`. */
export interface PermissionDeniedEvent {
  type: 'permission.denied';
  code: 'permission_denied';
  backend: string | null;
  userId: string | null;
  route: string | null;
  context: string;
  durationMs: number | null;
}

/** A store stopped answering: requests that need it answer 503 `auth_unavailable` (once per outage). */
export interface StoreUnavailableEvent {
  type: 'store.unavailable';
  /** Which store, e.g. `'redis'`. */
  store: string;
  /** Why, without any secret (an error class and message, URLs stripped of credentials). */
  reason: string;
}

/** The first answer of a store after it was unavailable. */
export interface StoreRecoveredEvent {
  type: 'store.recovered';
  store: string;
  /** How long it was unavailable, in milliseconds. */
  downtimeMs: number;
}

/** A remote key set (JWKS) was fetched. */
export interface JwksRefreshedEvent {
  type: 'jwks.refreshed';
  uri: string;
  keys: number;
  durationMs: number;
}

/** A remote key set (JWKS) could not be fetched: tokens of an unknown key answer 503 until it can. */
export interface JwksFailedEvent {
  type: 'jwks.failed';
  uri: string;
  reason: string;
  durationMs: number;
}

/** The revocation replica stopped answering locally: checks ask the shared store (slower, fail closed). */
export interface ReplicaDemotedEvent {
  type: 'replica.demoted';
  store: string;
  reason: string;
}

/** The revocation replica answers locally again. */
export interface ReplicaRestoredEvent {
  type: 'replica.restored';
  store: string;
  /** How long it was demoted, in milliseconds. */
  demotedMs: number;
}

/** Every event nestjs-warden reports. Switch on `type`. */
export type AuthEvent =
  | LoginEvent
  | RefreshEvent
  | RefreshReusedEvent
  | LogoutEvent
  | LogoutAllEvent
  | RevokedEvent
  | AuthenticatedEvent
  | AuthRefusedEvent
  | PermissionDeniedEvent
  | StoreUnavailableEvent
  | StoreRecoveredEvent
  | JwksRefreshedEvent
  | JwksFailedEvent
  | ReplicaDemotedEvent
  | ReplicaRestoredEvent;

/** The `type` of every event. */
export type AuthEventType = AuthEvent['type'];

/** A function {@link AuthEvents.subscribe} calls, synchronously, with every event. */
export type AuthEventListener = (event: AuthEvent) => void;

/** A piece of work that costs (a key-set fetch, a user load, a store call), as a tracer sees it. */
export interface WorkSpan {
  /** Ends the work; `error` when it failed. Called once. */
  end(error?: unknown): void;
}

/**
 * Times the work that costs (spans): installed with {@link AuthEvents.traceWith} by an
 * integration (`nestjs-warden/otel`). Attributes never carry a secret.
 */
export interface WorkTracer {
  /** Starts timing `name` (e.g. `'warden.jwks.fetch'`); the returned span is ended once. */
  start(name: string, attributes: Readonly<Record<string, string | number | boolean>>): WorkSpan;
}

/** What a store with a local revocation replica reports, read by gauges. */
export interface ReplicaState {
  /** Revocations held locally. */
  entries: number;
  /** Time since the replica last knew it had read everything, in milliseconds (`Infinity` before its first read). */
  stalenessMs: number;
  /** Whether "not revoked" is answered locally right now (else the shared store is asked). */
  serving: boolean;
}

/** Where the parts of the library report to: the app's `AuthEvents`, as a store or key set sees it. */
export interface EventSink {
  /** Whether anyone listens: build a per-request event only then (no allocation otherwise). */
  readonly active: boolean;
  /** The tracer installed by an integration, if any: time costly work only then. */
  readonly tracer: WorkTracer | undefined;
  /** Delivers an event to every listener, synchronously; a listener that throws is logged, never rethrown. */
  emit(event: AuthEvent): void;
}

/** A store that can report events (outages, replica state): `AuthModule` hands it the app's `AuthEvents`. */
export interface ObservableStore {
  /** Called once per app at start-up. */
  attachEvents(events: EventSink): void;
  /** The replica's state, for gauges; `undefined` when the store keeps no replica. */
  readonly replicaState?: ReplicaState | undefined;
}
