import type { ModuleRef } from '@nestjs/core';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { RequestContext, AuthResult } from '../context/request-context.interface.js';
import type { RevocationStore } from '../revocation/revocation.store.js';
import type { CsrfProtection } from '../csrf/csrf-protection.js';

/** What the module hands every backend once, at start-up. */
export interface BackendSetup {
  /** The HTTP adapter the application runs on. */
  platform: 'express' | 'fastify' | (string & {});
  /** The module's revocation store, if one is configured. */
  revocation: RevocationStore | undefined;
  /** Resolves injectable dependencies (a `validate` provider, a user loader). */
  moduleRef: ModuleRef;
  /** Loads the user for a context; `undefined` when no `userLoader` is configured. */
  loadUser: ((context: RequestContext) => Promise<unknown>) | undefined;
  /** CSRF protection of the cookie transport; `undefined` when the module has no `tokens`. */
  csrf: CsrfProtection | undefined;
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
  authenticate(request: AuthRequest): AuthResult | null | Promise<AuthResult | null>;
  /** Called once at start-up; throw a `TypeError` to refuse a bad configuration. */
  setup?(setup: BackendSetup): void | Promise<void>;
  /** The security scheme this backend declares in OpenAPI, if any. */
  openApiScheme?(): OpenApiSecurityScheme | OpenApiSecurityScheme[] | undefined;
}

/** An OpenAPI security scheme a backend declares (see `applySwaggerAuth`). */
export interface OpenApiSecurityScheme {
  name: string;
  scheme: Record<string, unknown>;
}
