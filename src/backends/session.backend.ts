import { SessionInvalidError } from '../auth.errors.js';
import { contextFrom } from '../context/request-context.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import { resultFromUser, type LoadUser } from '../context/user-loader.js';
import { readSessionValue, SESSION_CSRF_KEY } from '../sessions/session.helpers.js';
import type { AuthenticationBackend, BackendSetup, CookieAuthResult, OpenApiSecurityScheme } from './authentication-backend.interface.js';
import { backendName } from './backend-name.js';
import { bindBackend } from './bound-backend.js';

/** Options of {@link SessionAuthentication}. */
export interface SessionAuthenticationOptions {
  /**
   * The backend's name: `request.context.authBackend` and its OpenAPI security scheme.
   * @default 'session'
   */
  name?: string;
  /**
   * The session field that holds the user id (written by `loginSession`).
   * @default 'userId'
   */
  userIdKey?: string;
  /**
   * The session cookie's name, for OpenAPI.
   * @default 'connect.sid'
   */
  cookieName?: string;
}

/**
 * Authenticates a server-side session (`express-session` on Express, `@fastify/session`
 * on Fastify; the application registers it). The session's user is loaded through the
 * module's `userLoader` on every request, so a user deleted or disabled since login is
 * refused at once (401 `session_invalid`); `request.user` then reuses that load.
 *
 * A session cookie travels by itself, cross-site requests included: an unsafe request
 * (POST, PUT, PATCH, DELETE) must echo the login's CSRF token, set by `loginSession` as the
 * `csrf_token` cookie, in `X-CSRF-Token` (403 `csrf_failed` otherwise). A session written
 * without `loginSession` has no CSRF token, so its unsafe requests are refused.
 *
 * @example
 * ```ts
 * AuthModule.forRoot({ authentication: [new SessionAuthentication()], userLoader: (ctx) => users.find(ctx.userId) })
 * ```
 */
export class SessionAuthentication implements AuthenticationBackend {
  readonly name: string;
  private readonly userIdKey: string;
  private readonly cookieName: string;
  /** The app's `userLoader`: set on the bound instance `setup` returns, never on this one. */
  private readonly loadUser: LoadUser | undefined = undefined;

  constructor(options: SessionAuthenticationOptions = {}) {
    this.name = backendName(options.name, 'session', 'SessionAuthentication');
    this.userIdKey = options.userIdKey ?? 'userId';
    this.cookieName = options.cookieName ?? 'connect.sid';
  }

  /** This backend bound to one app's `userLoader`; this instance is left as it is. */
  setup(setup: BackendSetup): SessionAuthentication {
    if (setup.loadUser === undefined) {
      throw new TypeError('SessionAuthentication needs a `userLoader` in AuthModule options, to check that the session user still exists');
    }
    return bindBackend(this, { loadUser: setup.loadUser });
  }

  authenticate(request: AuthRequest): Promise<CookieAuthResult | null> | null {
    const id = readSessionValue(request, this.userIdKey);
    if (id === undefined || id === null) return null;
    if (typeof id !== 'string' && typeof id !== 'number') throw new SessionInvalidError();
    const loadUser = this.loadUser;
    if (loadUser === undefined) {
      throw new TypeError('SessionAuthentication: use the instance AuthModule set up (setup() returns it), not the unconfigured one');
    }
    const userId = String(id);
    // A session written without `loginSession` has no CSRF token: its unsafe requests are refused.
    const stored = readSessionValue(request, SESSION_CSRF_KEY);
    const csrfToken = typeof stored === 'string' ? stored : null;
    // The loader is bound to the user policy (503 on failure or timeout); a session whose user is gone is invalid.
    return loadUser(contextFrom({ userId }, this.name)).then((user) => {
      if (user === null) throw new SessionInvalidError('The session user no longer exists or is disabled');
      return { ...resultFromUser(user, userId), csrfToken };
    });
  }

  openApiScheme(): OpenApiSecurityScheme {
    return { name: this.name, scheme: { type: 'apiKey', in: 'cookie', name: this.cookieName } };
  }
}
