import type { KeyObject } from 'node:crypto';
import { AuthUnavailableError, TokenRevokedError } from '../auth.errors.js';
import { andThen, ask, isPending } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult } from '../context/request-context.interface.js';
import { readScheme, readSingleHeader } from '../credentials/credential-header.js';
import { readCookie } from '../credentials/cookie-reader.js';
import type { ProbeVerdict } from '../jwt/jwt-probe.js';
import type { DecodedJwt, JwtPayload } from '../jwt/jwt-verifier.js';
import { TokenVerifier, type JwtVerifierOptions } from '../jwt/token-verifier.js';
import type { VerifiedToken } from '../jwt/verified-token.cache.js';
import type { RevocationQuery, RevocationStore } from '../revocation/revocation.store.js';
import type { AuthenticationBackend, BackendSetup, CookieAuthResult, OpenApiSecurityScheme } from './authentication-backend.interface.js';
import { backendName } from './backend-name.js';
import { bindBackend } from './bound-backend.js';
import { passOn } from './unclaimed-credential.js';

/** Options of {@link JwtAuthentication}: how tokens are verified, and where they are read. */
export interface JwtAuthenticationOptions extends JwtVerifierOptions {
  /**
   * The backend's name: `request.context.authBackend` of the requests it authenticates, and its
   * OpenAPI security scheme (`'bearer'` for the default name). Two backends of one list need
   * distinct names (a `TypeError` at start-up otherwise), e.g. one per issuer.
   * @default 'jwt'
   */
  name?: string;
  /**
   * The header the token is read from.
   * @default 'authorization'
   */
  header?: string;
  /**
   * The authentication scheme, matched case-insensitively.
   * @default 'Bearer'
   */
  scheme?: string;
  /** A revocation store for this backend; defaults to the module's `revocation`. */
  revocation?: RevocationStore;
  /**
   * Also read the token from this cookie when the header is absent (set by
   * `TokenService.setAuthCookies`). Cookie-authenticated requests with an unsafe method
   * must echo the login's CSRF token in `X-CSRF-Token`. Needs `tokens` in the module options.
   * @default undefined (header only)
   */
  cookie?: string;
}

/**
 * Authenticates `Authorization: Bearer <JWT>` (and a cookie, with `cookie`). With `issuer` set,
 * it takes only tokens whose `iss` (read before any signature work) it lists and passes the
 * others on to the next backend, so several backends, one per issuer, sit side by side; a token
 * no backend takes is 401 `token_invalid`. It reads the
 * credential through `credentials/` and its meaning through `jwt/`: keys are imported and
 * checked once, when the backend is constructed; a request only parses, verifies (or finds
 * the token in the verified-token cache) and checks revocation, with no database access.
 *
 * @example
 * ```ts
 * new JwtAuthentication({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] })
 * ```
 */
export class JwtAuthentication implements AuthenticationBackend {
  readonly name: string;
  private readonly verifier: TokenVerifier;
  private readonly header: string;
  private readonly scheme: string;
  private readonly cookie: string | undefined;
  /** `options.revocation`; on the instance `setup` returns, that, else the app's store. */
  private readonly revocation: RevocationStore | undefined;
  /** The app's CSRF derivation: set on the instance `setup` returns, never on this one. */
  private readonly csrfTokenFor: ((login: string) => string) | undefined = undefined;

  constructor(options: JwtAuthenticationOptions) {
    this.verifier = new TokenVerifier(options, 'JwtAuthentication', (decoded) => this.keyFor(decoded));
    this.name = backendName(options.name, 'jwt', 'JwtAuthentication');
    this.header = (options.header ?? 'authorization').toLowerCase();
    this.scheme = options.scheme ?? 'Bearer';
    this.revocation = options.revocation;
    this.cookie = options.cookie;
  }

  /**
   * This backend bound to one app: its own `revocation` option, else the app's store, and (with
   * `cookie`) the app's CSRF derivation. Keys, options and the verified-token cache are shared
   * with this instance, which is left as it is.
   */
  setup(setup: BackendSetup): JwtAuthentication {
    if (this.cookie !== undefined && setup.csrfTokenFor === undefined) {
      throw new TypeError('JwtAuthentication: `cookie` transport needs `tokens` in AuthModule options (it binds the CSRF token)');
    }
    if (setup.events !== undefined) setup.onClose?.(this.verifier.reportKeysTo(setup.events));
    return bindBackend(this, {
      revocation: this.revocation ?? setup.revocation,
      csrfTokenFor: this.cookie === undefined ? undefined : setup.csrfTokenFor,
    });
  }

  authenticate(request: AuthRequest): AuthResult | CookieAuthResult | null | Promise<AuthResult | CookieAuthResult | null> {
    const value = readSingleHeader(request, this.header);
    if (value !== undefined) {
      const token = readScheme(value, this.scheme);
      return token === undefined ? null : this.accept(request, this.verifier.verifyOwn(token), false);
    }
    if (this.cookie === undefined) return null;
    const token = readCookie(request, this.cookie);
    return token === undefined || token === '' ? null : this.accept(request, this.verifier.verifyOwn(token), true);
  }

  /**
   * Verifies a token (shape, algorithm, signature, claims; not revocation) and returns
   * its claims (deep-frozen when they come from, or go into, the verified-token cache).
   * Throws the `AuthError` that names the first failure.
   */
  verify(token: string): JwtPayload {
    const claims = this.verifier.verifyClaims(token);
    if (isPending(claims)) {
      void claims.catch(() => undefined);
      throw new AuthUnavailableError('The signing key is being fetched; use verifyToken() with a JWKS');
    }
    return claims;
  }

  /** Like {@link verify}, but waits for a remote key set when the token's key is not cached yet. */
  verifyToken(token: string): JwtPayload | Promise<JwtPayload> {
    return this.verifier.verifyClaims(token);
  }

  /**
   * Whether this backend would accept `token` (signed by the caller with `claims`), judged
   * offline: nothing is cached, no revocation store is asked, no key set fetched and no
   * overridden `keyFor` called (such a backend answers `accepted: undefined` once the
   * algorithm and claims pass). Used by `AuthModule`'s start-up self-check of `tokens`.
   */
  probe(token: string, claims: JwtPayload): ProbeVerdict {
    return this.verifier.probe(token, claims, this.keyFor !== JwtAuthentication.prototype.keyFor);
  }

  /** How many verified tokens the cache holds. */
  get cachedTokens(): number {
    return this.verifier.cachedTokens;
  }

  /** The key that verifies a decoded token; override it to look keys up elsewhere. */
  protected keyFor(decoded: DecodedJwt): KeyObject | Promise<KeyObject> {
    return this.verifier.localKey(decoded);
  }

  openApiScheme(): OpenApiSecurityScheme[] {
    const bearer = { name: this.name === 'jwt' ? 'bearer' : this.name, scheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } };
    if (this.cookie === undefined) return [bearer];
    return [bearer, { name: `cookie_${this.cookie}`, scheme: { type: 'apiKey', in: 'cookie', name: this.cookie } }];
  }

  private accept(
    request: AuthRequest,
    verified: VerifiedToken | Promise<VerifiedToken> | null,
    fromCookie: boolean,
  ): AuthResult | CookieAuthResult | null | Promise<AuthResult | CookieAuthResult> {
    // Another issuer's token: the next backend's; if no backend takes it, 401 token_invalid.
    if (verified === null) return passOn(request);
    return andThen(verified, JwtAuthentication.accepted, this, fromCookie);
  }

  // Static, with the instance as an argument: `andThen` calls it with no closure made per request,
  // and it reads the bound instance's store, not whichever instance a closure was made on.
  private static accepted(
    verified: VerifiedToken,
    backend: JwtAuthentication,
    fromCookie: boolean,
  ): AuthResult | CookieAuthResult | Promise<AuthResult | CookieAuthResult> {
    // A cookie came without the page's help, maybe cross-site: the guard checks the login's CSRF token.
    const result = fromCookie ? { ...verified.result, csrfToken: backend.csrfFor(verified.payload) } : verified.result;
    const store = backend.revocation;
    if (store === undefined) return result;
    return andThen(ask(REVOCATION_FAILED, isRevokedIn, store, verified.revocation), notRevoked, result);
  }

  private csrfFor(payload: Readonly<JwtPayload>): string | null {
    const family = payload.fam;
    return typeof family === 'string' && this.csrfTokenFor !== undefined ? this.csrfTokenFor(family) : null;
  }
}

const REVOCATION_FAILED = 'The revocation store did not answer';

function isRevokedIn(store: RevocationStore, query: RevocationQuery): boolean | Promise<boolean> {
  return store.isRevoked(query);
}

function notRevoked<T>(revoked: boolean, result: T): T {
  if (revoked) throw new TokenRevokedError();
  return result;
}
