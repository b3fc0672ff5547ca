import type { EventSink } from '../events/auth-event.interface.js';
import type { ModuleRef } from '@nestjs/core';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { RequestContext, AuthResult } from '../context/request-context.interface.js';
import type { RevocationStore } from '../revocation/revocation.store.js';

/** What the module hands every backend once, at start-up. */
export interface BackendSetup {
  /** The HTTP adapter the application runs on. */
  platform: 'express' | 'fastify' | (string & {});
  /** The module's revocation store, if one is configured. */
  revocation: RevocationStore | undefined;
  /** Resolves injectable dependencies (a `validate` provider, a user loader). */
  moduleRef: ModuleRef;
  /**
   * The app's `userLoader`: resolves to the user, or `null` when there is none; rejects with 503
   * `auth_unavailable` when the loader fails or takes longer than `userLoaderTimeoutMs`.
   * `undefined` when no `userLoader` is configured.
   */
  loadUser: ((context: RequestContext) => Promise<unknown>) | undefined;
  /**
   * Derives the CSRF token of a login from a value that identifies it (a JWT's `fam`): an
   * HMAC under a key derived from the `tokens` signing key. Give it back as
   * {@link CookieAuthResult.csrfToken}. `undefined` when the module has no `tokens`.
   */
  csrfTokenFor: ((login: string) => string) | undefined;
  /** The app's auth events, for a backend that reports work of its own (a remote key set's fetches). */
  events?: EventSink;
  /**
   * Registers `release` to run when the app closes (`app.close()`): undo here what `setup` did to
   * objects that outlive the app (a listener on a key set shared by several apps).
   */
  onClose?: (release: () => void) => void;
}

/**
 * What a backend returns when the credential it read came in a cookie. A browser sends
 * cookies on cross-site requests too, so the global guard then refuses a request with an
 * unsafe method (anything but GET, HEAD, OPTIONS, TRACE) whose CSRF header
 * (`tokens.cookies.csrfHeader`, `X-CSRF-Token` by default) does not echo `csrfToken`:
 * 403 `csrf_failed`. `JwtAuthentication` (its `cookie` option) and `SessionAuthentication`
 * return one; so does a custom backend that reads a cookie.
 *
 * @example
 * ```ts
 * authenticate(request: AuthRequest): CookieAuthResult | null {
 *   const id = readCookie(request, 'sid');   // nestjs-warden's cookie reader
 *   if (id === undefined) return null;
 *   const login = this.logins.get(id);
 *   if (login === undefined) throw new SessionInvalidError();
 *   // The token your login route handed the page (a readable cookie, or the response body).
 *   return { userId: login.userId, csrfToken: login.csrfToken };
 * }
 * ```
 */
export interface CookieAuthResult extends AuthResult {
  /**
   * The CSRF token of this login, which unsafe requests must echo in the CSRF header;
   * `null` when the login has none (then every unsafe request is refused).
   */
  csrfToken: string | null;
}

/**
 * A way to authenticate a request. Implement it to write your own backend; register an
 * instance, or the class itself (then it is resolved through dependency injection).
 *
 * `authenticate` returns `null` when the request carries no credential of this kind (the
 * next backend is tried), an {@link AuthResult} when it authenticates the request, and
 * throws an `AuthError` when a credential of its kind is present but bad.
 * It may return synchronously: the guard only awaits when given a Promise.
 *
 * Backends are values, not wiring: `setup` gives each app its own bound backend and never
 * changes the object it is called on, so one instance (a module-level constant, say) can be
 * registered in two apps with different stores and loaders.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class WebhookAuthentication implements AuthenticationBackend {
 *   readonly name = 'webhook';
 *   constructor(private readonly config: ConfigService) {}
 *   authenticate(request: AuthRequest): AuthResult | null {
 *     const signature = request.headers['x-signature'];
 *     if (signature === undefined) return null;
 *     if (!this.verify(signature, request)) throw new AuthError(401, 'token_invalid', 'Bad signature');
 *     return { userId: 'webhook' };
 *   }
 * }
 * ```
 */
export interface AuthenticationBackend {
  /** Written to `request.context.authBackend` on success. */
  readonly name: string;
  /** A result, `null` (no credential of this kind: next backend), or throws an `AuthError`. */
  authenticate(request: AuthRequest): AuthResult | CookieAuthResult | null | Promise<AuthResult | CookieAuthResult | null>;
  /**
   * Called once per app at start-up, with that app's {@link BackendSetup}. Return the backend
   * bound to this app (a new object holding the app's store, loader or keys), and leave this
   * one as it is: one backend object may serve several apps in one process, each of which
   * must keep its own. Return nothing when the backend needs nothing per app; it then serves
   * as itself. Throw a `TypeError` to refuse a bad configuration (the app does not start).
   */
  setup?(setup: BackendSetup): AuthenticationBackend | void | Promise<AuthenticationBackend | void>;
  /** The security scheme this backend declares in OpenAPI, if any. */
  openApiScheme?(): OpenApiSecurityScheme | OpenApiSecurityScheme[] | undefined;
}

/** An OpenAPI security scheme a backend declares (see `applySwaggerAuth`). */
export interface OpenApiSecurityScheme {
  name: string;
  scheme: Record<string, unknown>;
}
