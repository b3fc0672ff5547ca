import { AuthUnavailableError, TokenInvalidError } from '../auth.errors.js';
import { unavailable } from '../auth.policy.js';
import { backendName } from './backend-name.js';
import { resultFromUser } from '../context/user-loader.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult } from '../context/request-context.interface.js';
import type { AuthenticationBackend, BackendSetup, OpenApiSecurityScheme } from './authentication-backend.interface.js';

/** What nestjs-warden needs of a passport strategy (`passport-strategy`'s `Strategy`). */
export interface PassportStrategyLike {
  name?: string;
  authenticate(this: PassportStrategyActions, request: unknown, options?: unknown): void;
}

/** The actions passport binds to a strategy for one request. */
export interface PassportStrategyActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
  pass(): void;
  redirect(url: string, status?: number): void;
}

/** Options of {@link PassportAuthentication}. */
export interface PassportAuthenticationOptions {
  /**
   * Written to `context.authBackend`.
   * @default strategy.name, else 'passport'
   */
  name?: string;
  /** Options handed to `strategy.authenticate(request, options)`. */
  strategyOptions?: Record<string, unknown>;
  /**
   * Whether the request carries a credential this strategy reads. A strategy that fails on
   * such a request answers 401 `token_invalid`; one that fails on any other request passes
   * to the next backend, since passport strategies also "fail" when their credential is absent.
   * @default the request has an `Authorization` header
   */
  hasCredential?: (request: AuthRequest) => boolean;
  /** The OpenAPI scheme to declare, e.g. `{ type: 'http', scheme: 'basic' }`. */
  openApi?: Record<string, unknown>;
  /**
   * The HTTP platforms the strategy can run on. Declare `['express']` for a strategy that
   * reads Express-only members of the request (`req.get()`, `req.query`, `req.session` of
   * express-session): on another platform the app then refuses to start, saying so.
   * @default any platform (strategies that read only `request.headers` run on both)
   */
  platforms?: readonly ('express' | 'fastify' | (string & {}))[];
}

/**
 * Runs any passport strategy as a backend, so the existing strategies plug in. Each request
 * gets its own object inheriting from the strategy, with the actions bound to a Promise:
 * passport's global registry and `passport.initialize()` are not involved.
 *
 * `success` authenticates (the user becomes `request.user`), `pass` and a `fail` without a
 * credential pass to the next backend, a `fail` with one is 401 `token_invalid`, and
 * `error` (usually a store that did not answer) fails closed with 503 `auth_unavailable` (an
 * `AuthError` given to `error` is answered as it is).
 * Redirecting strategies (OAuth login flows) belong in their own routes, not in a backend.
 *
 * @example
 * ```ts
 * new PassportAuthentication(new BasicStrategy((user, pass, done) => ...), { name: 'basic' })
 * ```
 */
export class PassportAuthentication implements AuthenticationBackend {
  readonly name: string;
  private readonly hasCredential: (request: AuthRequest) => boolean;

  constructor(
    private readonly strategy: PassportStrategyLike,
    private readonly options: PassportAuthenticationOptions = {},
  ) {
    if (typeof strategy?.authenticate !== 'function') throw new TypeError('PassportAuthentication needs a passport strategy instance');
    this.name = backendName(options.name, strategy.name ?? 'passport', 'PassportAuthentication');
    this.hasCredential = options.hasCredential ?? ((request) => request.headers.authorization !== undefined);
  }

  authenticate(request: AuthRequest): Promise<AuthResult | null> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const once =
        <A extends unknown[]>(fn: (...args: A) => void) =>
        (...args: A): void => {
          if (settled) return;
          settled = true;
          fn(...args);
        };
      const actions: PassportStrategyActions = {
        success: once((user: unknown) => resolve(user ? resultFromUser(user) : null)),
        fail: once(() => (this.hasCredential(request) ? reject(new TokenInvalidError('The credentials were refused')) : resolve(null))),
        error: once((error: unknown) => reject(unavailable(error, 'The authentication strategy failed'))),
        pass: once(() => resolve(null)),
        redirect: once(() => reject(new AuthUnavailableError('A redirecting strategy cannot run as a backend'))),
      };
      const perRequest = Object.assign(Object.create(this.strategy) as PassportStrategyLike, actions);
      try {
        perRequest.authenticate.call(
          perRequest as PassportStrategyLike & PassportStrategyActions,
          request,
          this.options.strategyOptions ?? {},
        );
      } catch (error) {
        actions.error(error);
      }
    });
  }

  /** Checks the platform; the backend holds no per-app state, so it serves every app as itself. */
  setup(setup: BackendSetup): void {
    const platforms = this.options.platforms;
    if (platforms !== undefined && !platforms.includes(setup.platform)) {
      throw new TypeError(
        `PassportAuthentication "${this.name}": this strategy runs on ${platforms.join(', ')} only, and the app runs on ${setup.platform}. ` +
          `Use ${platforms.length === 1 && platforms[0] === 'express' ? 'the Express adapter (@nestjs/platform-express)' : 'one of those platforms'}, or a strategy that reads only request.headers.`,
      );
    }
  }

  openApiScheme(): OpenApiSecurityScheme | undefined {
    return this.options.openApi === undefined ? undefined : { name: this.name, scheme: this.options.openApi };
  }
}
