import type { Type } from '@nestjs/common';
import type { AuthenticationBackend } from './backends/authentication-backend.interface.js';
import type { RequestContext } from './context/request-context.interface.js';
import type { Guard } from './guards/guard.interface.js';
import type { JwtAlgorithm, KeyInput } from './jwt/jwt-algorithms.js';
import type { RevocationStore } from './revocation/revocation.store.js';

/** A backend instance, or an injectable backend class resolved through dependency injection. */
export type AuthenticationBackendRef = AuthenticationBackend | Type<AuthenticationBackend>;

/** Loads the user of an authenticated request; `null` when there is none (gone or disabled). */
export type UserLoaderFn = (context: RequestContext) => unknown;

/** An injectable provider that loads users (register it by class in `userLoader`). */
export interface UserLoader {
  loadUser(context: RequestContext): unknown;
}

/**
 * Names and attributes of the cookies nestjs-warden writes: the token cookies of
 * `TokenService.setAuthCookies` and the CSRF cookie of every cookie-borne login (JWT cookies,
 * `loginSession`). Resolved once, at start-up; a bad name fails the boot.
 */
export interface TokenCookieOptions {
  /** @default true */
  secure?: boolean;
  /** @default 'lax' */
  sameSite?: 'lax' | 'strict' | 'none';
  /** @default 'access_token' */
  access?: string;
  /** @default 'refresh_token' */
  refresh?: string;
  /** @default 'csrf_token' */
  csrf?: string;
  /** @default 'x-csrf-token' */
  csrfHeader?: string;
  /** The path the refresh cookie is scoped to. @default '/auth/refresh' */
  refreshPath?: string;
  /** @default undefined (host-only cookies) */
  domain?: string;
}

/** How `TokenService` issues tokens. */
export interface TokenOptions {
  /** The HS* signing secret (at least 32 bytes). */
  secret?: string | Buffer | KeyInput;
  /** The private key for RS*, PS*, ES* or EdDSA signing. */
  privateKey?: KeyInput;
  /** @default 'HS256' */
  algorithm?: JwtAlgorithm;
  /** Access token lifetime in seconds. @default 3600 */
  accessTtl?: number;
  /** Refresh token lifetime in seconds. @default 1209600 (14 days) */
  refreshTtl?: number;
  /**
   * The longest a login lasts, in seconds from the login (its `auth_time`), whatever its
   * refreshes: every token of the login expires by then, and a refresh after it is 401
   * `token_expired`. The user logs in again.
   * @default 2592000 (30 days)
   */
  maxSessionAge?: number;
  /** `iss` of issued tokens. */
  issuer?: string;
  /** `aud` of issued tokens. */
  audience?: string | string[];
  /** `kid` header of issued tokens. */
  keyId?: string;
  /**
   * Cookie transport settings; they also apply to the CSRF cookie `loginSession` sets.
   * @default the defaults of each `TokenCookieOptions` field
   */
  cookies?: TokenCookieOptions;
}

/** Where a browser that must log in is sent (`AuthModuleOptions.loginRedirect`). */
export interface LoginRedirectOptions {
  /**
   * The login page: a path on this site (`'/login'`) or an absolute `https:` URL (a single
   * sign-on page). It may carry a query of its own; not a fragment.
   */
  url: string;
  /**
   * The query parameter that carries where to come back: the refused request's path and query,
   * never a host (a request for `//evil.example/x` comes back as `/x`). The login page must
   * still check the value it reads before redirecting to it.
   * @default 'next'
   */
  param?: string;
}

/** Options of `AuthModule.forRoot()` / `forRootAsync()`. */
export interface AuthModuleOptions {
  /** The backends tried in order on every non-public route. Required, at least one. */
  authentication: AuthenticationBackendRef[];
  /**
   * The guards every non-public route runs after authentication.
   * @default [IsAuthenticated()]
   */
  guards?: Guard[];
  /**
   * Loads the user behind `request.user` / `@CurrentUser()`, lazily and once per request
   * (and on every request for `SessionAuthentication`). A loader that throws, rejects or takes
   * longer than {@link AuthModuleOptions.userLoaderTimeoutMs} fails closed with 503
   * `auth_unavailable`; a `null` user read on an authenticated request is 401 `user_inactive`.
   * @default undefined (`request.user` is built from the context's claims)
   */
  userLoader?: UserLoaderFn | Type<UserLoader>;
  /**
   * How long a `userLoader` call may take, in milliseconds, before the request fails with 503
   * `auth_unavailable` (a loader whose database hangs must not hang every request with it).
   * @default 2000
   */
  userLoaderTimeoutMs?: number;
  /**
   * Where the permissions of a JWT-authenticated request come from.
   *
   * - `'token'`: the token's `permissions` claim. `TokenService` writes the user's permissions
   *   into every token it issues, so a guard decides from the token alone, with no database
   *   read per request. A permission change reaches a login at its next refresh (which reads
   *   the user again through `userLoader`) or login; every permission adds to each token's size.
   * - `'user'`: the loaded user's `permissions` (strings; anything else counts as none).
   *   `TokenService` leaves `permissions` out of the tokens it issues, and the global guard
   *   loads the user through `userLoader` on every request a JWT backend (`authBackend`
   *   `'jwt'`) authenticates on a non-public route, before the guards run, and sets
   *   `request.context.permissions` from it: a change applies at the next request. The load is
   *   the one `request.user` / `@CurrentUser()` reads (once per request), with the loader's
   *   rules: a failure is 503 `auth_unavailable`, a `null` user 401 `user_inactive`; a token's
   *   own `permissions` claim is then ignored. Other backends keep their own permissions (API
   *   key grants; a session's user is already loaded). Needs a `userLoader`.
   * @default 'token'
   */
  permissionsFrom?: 'token' | 'user';
  /**
   * Token issuance by `TokenService`. Without it the app refuses to start when a provider,
   * controller or factory injects `TokenService`, and the methods of one reached dynamically
   * throw a `TypeError`. With it, a probe token is signed at start-up and the app refuses to
   * start when no `JwtAuthentication` in use would accept it.
   * @default undefined (no token issuance)
   */
  tokens?: TokenOptions;
  /** Where revoked tokens are recorded; backends use it unless given their own. */
  revocation?: RevocationStore;
  /**
   * The realm in `WWW-Authenticate`.
   * @default 'api'
   */
  realm?: string;
  /**
   * Sends a browser that must log in to a login page: a 401 answer to a request whose `Accept`
   * prefers `text/html` (or `application/xhtml+xml`) over JSON becomes a `303 See Other` to
   * `url?next=<path and query of the request>`. API clients (`Accept: application/json`, a wildcard,
   * none) keep the JSON 401. A 403 is never redirected (the user is logged in: a login page
   * would loop); 400 and 503 neither. 401 answers then carry `Vary: Accept`.
   * @default undefined (every client gets the JSON answer)
   */
  loginRedirect?: LoginRedirectOptions;
  /**
   * Whether `AuthContextService` can read the current request: the global guard enters each
   * request's `AsyncLocalStorage` scope, which holds to the end of the request (Promises, lazy
   * and delayed Observables, `@Sse()`, `StreamableFile`, exception filters).
   *
   * Left out, the scope is on when some class of the app injects `AuthContextService` (read at
   * start-up from the dependencies Nest resolved) and off otherwise: on Node 20 an active
   * `AsyncLocalStorage` runs a hook on every promise of the process (measured on the bench
   * rows: about 15% of a JWT request's server CPU on Fastify, 3-5% on Express). `true` turns it
   * on for a service reached only through `moduleRef.get()`; `false` turns it off. While off,
   * the service's getters and `run()` throw a `TypeError` that says why.
   * @default on when a class injects `AuthContextService`
   */
  contextStorage?: boolean;
  /** WebSocket gateways (`@nestjs/websockets`, socket.io and ws adapters). */
  websocket?: WebSocketOptions;
}

/** How WebSocket gateways accept credentials. */
export interface WebSocketOptions {
  /**
   * Origins (`scheme://host[:port]`) whose WebSocket handshakes may authenticate with a cookie,
   * besides the handshake's own host. A browser sends cookies on a cross-site WebSocket handshake
   * and a WebSocket carries no CSRF header, so a cookie credential is read only when the
   * handshake's `Origin` is absent (not a browser's cross-origin request), has the `Host`'s host
   * and port, or is listed here; otherwise a protected message is 403 `csrf_failed`. A token in
   * the `Authorization` header or the socket.io `auth` payload is not affected.
   * @default [] (same origin only)
   */
  allowedOrigins?: string[];
}
