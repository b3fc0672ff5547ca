import type { KeyObject } from 'node:crypto';
import { AuthError, AuthUnavailableError, TokenClaimsInvalidError, TokenInvalidError, TokenRevokedError } from '../auth.errors.js';
import type { AuthResult } from '../context/request-context.interface.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import {
  importPublicKey,
  importSecret,
  isJwtAlgorithm,
  isSymmetric,
  keyMismatch,
  type JwtAlgorithm,
  type KeyInput,
} from '../jwt/jwt-algorithms.js';
import { checkTimes, decodeJwt, verifyDecoded, type ClaimRules, type DecodedJwt, type JwtPayload } from '../jwt/jwt-verifier.js';
import type { RevocationStore } from '../revocation/revocation.store.js';
import { JwksKeySet } from '../jwt/jwks-key-set.js';
import { probeVerifier, type ProbeVerdict } from '../jwt/jwt-probe.js';
import { readCookie, type CsrfProtection } from '../csrf/csrf-protection.js';
import type { AuthenticationBackend, BackendSetup, OpenApiSecurityScheme } from './authentication-backend.interface.js';
import { readScheme, readSingleHeader } from './credentials.js';

/** Options of {@link JwtAuthentication}. */
export interface JwtAuthenticationOptions {
  /** The HS* key: a string or Buffer of at least 32 bytes, an `oct` JWK or a secret KeyObject. */
  secret?: string | Buffer | KeyObject;
  /** The RS*, PS*, ES* or EdDSA verification key: PEM, JWK or KeyObject (a private key gives its public half). */
  publicKey?: KeyInput;
  /** Required: a token whose `alg` is not listed is rejected, whatever the key. `none` is never accepted. */
  algorithms: JwtAlgorithm[];
  /** Accepted audience(s); when set, a token without a matching `aud` is rejected. */
  audience?: string | string[];
  /** Accepted issuer(s); when set, a token without a matching `iss` is rejected. */
  issuer?: string | string[];
  /**
   * Seconds of clock skew allowed on `exp` and `nbf`.
   * @default 0
   */
  leeway?: number;
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
  /**
   * Tokens longer than this are refused before any parsing.
   * @default 8192
   */
  maxTokenLength?: number;
  /**
   * Claims every token must carry.
   * @default ['exp']
   */
  requiredClaims?: string[];
  /** A revocation store for this backend; defaults to the module's `revocation`. */
  revocation?: RevocationStore;
  /**
   * How many verified tokens are remembered, keyed by the whole token, so a client that
   * reuses its token skips signature verification. `exp`/`nbf` are re-checked on every use
   * and revocation is checked after the cache on every request; failures are never cached.
   * `0` disables the cache.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Also read the token from this cookie when the header is absent (set by
   * `TokenService.setAuthCookies`). Cookie-authenticated requests with an unsafe method
   * must echo the login's CSRF token in `X-CSRF-Token`. Needs `tokens` in the module options.
   */
  cookie?: string;
  /** A remote key set (an identity provider's JWKS), keys chosen by `kid`; https, or http on loopback. */
  jwksUri?: string;
  /**
   * Minimum milliseconds between two fetches caused by unknown `kid`s.
   * @default 30000
   */
  jwksCooldownMs?: number;
  /**
   * Milliseconds after which the key set is refreshed in the background (key rotation).
   * @default 600000
   */
  jwksMaxAgeMs?: number;
  /**
   * Milliseconds a fetch may take; past it the request fails closed (503 `auth_unavailable`).
   * @default 5000
   */
  jwksTimeoutMs?: number;
}

/**
 * Authenticates `Authorization: Bearer <JWT>`. Keys are imported and checked against the
 * algorithms once, when the backend is constructed; a request only parses, verifies and
 * reads claims, with no database access.
 *
 * @example
 * ```ts
 * new JwtAuthentication({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] })
 * ```
 */
export class JwtAuthentication implements AuthenticationBackend {
  readonly name = 'jwt';
  private readonly algorithms: ReadonlySet<string>;
  private readonly keys = new Map<JwtAlgorithm, KeyObject>();
  private readonly rules: ClaimRules;
  private readonly header: string;
  private readonly scheme: string;
  private readonly maxTokenLength: number;
  private revocation: RevocationStore | undefined;
  private readonly jwks: JwksKeySet | undefined;
  private readonly cookie: string | undefined;
  private csrf: CsrfProtection | undefined;
  /** Verified payloads by token, oldest first (insertion order evicts first). */
  private readonly verified = new Map<string, JwtPayload>();
  private readonly cacheSize: number;

  constructor(options: JwtAuthenticationOptions) {
    const what = 'JwtAuthentication';
    if (typeof options !== 'object' || options === null) throw new TypeError(`${what}: options are required`);
    const algorithms = options.algorithms;
    if (!Array.isArray(algorithms) || algorithms.length === 0) {
      throw new TypeError(`${what}: \`algorithms\` is required, for example ['HS256'] or ['RS256']`);
    }
    for (const algorithm of algorithms) {
      if (!isJwtAlgorithm(algorithm)) {
        throw new TypeError(
          `${what}: algorithm ${JSON.stringify(algorithm)} is not supported${String(algorithm).toLowerCase() === 'none' ? ' (unsigned tokens are never accepted)' : ''}`,
        );
      }
    }
    if (options.jwksUri !== undefined) {
      JwksKeySet.checkUri(options.jwksUri, what);
      if (options.secret !== undefined || options.publicKey !== undefined) {
        throw new TypeError(`${what}: give either \`jwksUri\` or \`secret\`/\`publicKey\`, not both (use two backends)`);
      }
      const symmetric = algorithms.find((algorithm) => isSymmetric(algorithm));
      if (symmetric !== undefined)
        throw new TypeError(`${what}: ${symmetric} cannot be verified with a JWKS (shared secrets are never fetched)`);
      this.jwks = new JwksKeySet({
        uri: options.jwksUri,
        cooldownMs: options.jwksCooldownMs ?? 30_000,
        maxAgeMs: options.jwksMaxAgeMs ?? 600_000,
        timeoutMs: options.jwksTimeoutMs ?? 5_000,
      });
    }
    const secret = options.secret === undefined ? undefined : importSecret(options.secret, what);
    const publicKey = options.publicKey === undefined ? undefined : importPublicKey(options.publicKey, what);
    for (const algorithm of this.jwks === undefined ? algorithms : []) {
      const key = isSymmetric(algorithm) ? secret : publicKey;
      if (key === undefined) {
        throw new TypeError(`${what}: algorithm ${algorithm} has no key: give ${isSymmetric(algorithm) ? '`secret`' : '`publicKey`'}`);
      }
      const mismatch = keyMismatch(algorithm, key);
      if (mismatch !== null) throw new TypeError(`${what}: ${mismatch}`);
      this.keys.set(algorithm, key);
    }
    const leeway = options.leeway ?? 0;
    if (!Number.isFinite(leeway) || leeway < 0) throw new TypeError(`${what}: \`leeway\` must be a number of seconds >= 0`);
    this.algorithms = new Set(algorithms);
    this.rules = {
      audience: toList(options.audience),
      issuer: toList(options.issuer),
      leeway,
      requiredClaims: options.requiredClaims ?? ['exp'],
    };
    this.header = (options.header ?? 'authorization').toLowerCase();
    this.scheme = options.scheme ?? 'Bearer';
    this.maxTokenLength = options.maxTokenLength ?? 8192;
    this.revocation = options.revocation;
    this.cookie = options.cookie;
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new TypeError(`${what}: \`cacheSize\` must be a whole number >= 0`);
    this.cacheSize = cacheSize;
  }

  setup(setup: BackendSetup): void {
    this.revocation ??= setup.revocation;
    if (this.cookie !== undefined) {
      if (setup.csrf === undefined)
        throw new TypeError('JwtAuthentication: `cookie` transport needs `tokens` in AuthModule options (it binds the CSRF token)');
      this.csrf = setup.csrf;
    }
  }

  authenticate(request: AuthRequest): AuthResult | null | Promise<AuthResult | null> {
    const value = readSingleHeader(request, this.header);
    let token = value === undefined ? undefined : readScheme(value, this.scheme);
    let fromCookie = false;
    if (value === undefined && this.cookie !== undefined) {
      token = readCookie(request, this.cookie);
      fromCookie = token !== undefined && token !== '';
      if (!fromCookie) token = undefined;
    }
    if (token === undefined) return null;
    const accept = (payload: JwtPayload): AuthResult | Promise<AuthResult> => {
      // A browser sends cookies on cross-site requests too: unsafe ones must prove same-site origin.
      if (fromCookie) this.csrf?.check(request, payload);
      return this.checkRevocation(payload, () => toResult(payload));
    };
    const verified = this.verifyToken(token);
    return verified instanceof Promise ? verified.then(accept) : accept(verified);
  }

  /**
   * Verifies a token (shape, algorithm, signature, claims; not revocation) and returns
   * its claims. Throws the `AuthError` that names the first failure.
   */
  verify(token: string): JwtPayload {
    const result = this.verifyToken(token);
    if (result instanceof Promise) {
      void result.catch(() => undefined);
      throw new AuthUnavailableError('The signing key is being fetched; use verifyToken() with a JWKS');
    }
    return result;
  }

  /** Like {@link verify}, but waits for a remote key set when the token's key is not cached yet. */
  verifyToken(token: string): JwtPayload | Promise<JwtPayload> {
    const now = Date.now() / 1000;
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      try {
        checkTimes(cached, this.rules, now);
      } catch (error) {
        this.verified.delete(token);
        throw error;
      }
      return cached;
    }
    const decoded = decodeJwt(token, this.algorithms, this.maxTokenLength);
    const key = this.keyFor(decoded);
    if (key instanceof Promise) return key.then((ready) => this.finish(token, decoded, ready, Date.now() / 1000));
    return this.finish(token, decoded, key, now);
  }

  private finish(token: string, decoded: DecodedJwt, key: KeyObject, now: number): JwtPayload {
    const payload = verifyDecoded(decoded, key, this.rules, now);
    if (payload.type !== undefined && payload.type !== 'access') {
      throw new TokenClaimsInvalidError('Only an access token is accepted here');
    }
    this.remember(token, payload);
    return payload;
  }

  /**
   * Whether this backend would accept `token` (signed by the caller with `claims`), judged
   * offline: nothing is cached, no revocation store is asked, no key set fetched and no
   * overridden `keyFor` called (such a backend answers `accepted: undefined` once the
   * algorithm and claims pass). Used by `AuthModule`'s start-up self-check of `tokens`.
   */
  probe(token: string, claims: JwtPayload): ProbeVerdict {
    const { algorithms, keys, rules, maxTokenLength } = this;
    const opaqueKeys = this.jwks !== undefined || this.keyFor !== JwtAuthentication.prototype.keyFor;
    return probeVerifier(token, claims, { algorithms, keys, rules, maxTokenLength, opaqueKeys });
  }

  /** How many verified tokens the cache holds. */
  get cachedTokens(): number {
    return this.verified.size;
  }

  private remember(token: string, payload: JwtPayload): void {
    if (this.cacheSize === 0) return;
    if (this.verified.size >= this.cacheSize) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
    // Frozen: the same claims object is shared by every request that presents this token.
    this.verified.set(token, Object.freeze(payload));
  }

  protected keyFor(decoded: DecodedJwt): KeyObject | Promise<KeyObject> {
    if (this.jwks !== undefined) return this.jwks.resolve(decoded.header.kid, decoded.header.alg);
    const key = this.keys.get(decoded.header.alg);
    if (key === undefined) throw new TokenInvalidError('No key for the token algorithm');
    return key;
  }

  private checkRevocation<T>(payload: JwtPayload, then: () => T): T | Promise<T> {
    const store = this.revocation;
    if (store === undefined) return then();
    let answer: boolean | Promise<boolean>;
    try {
      answer = store.isRevoked(revocationQuery(payload));
    } catch (error) {
      throw unavailable(error);
    }
    if (typeof answer === 'boolean') {
      if (answer) throw new TokenRevokedError();
      return then();
    }
    return answer.then(
      (revoked) => {
        if (revoked) throw new TokenRevokedError();
        return then();
      },
      (error: unknown) => {
        throw unavailable(error);
      },
    );
  }

  openApiScheme(): OpenApiSecurityScheme[] {
    const bearer = { name: 'bearer', scheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } };
    if (this.cookie === undefined) return [bearer];
    return [bearer, { name: `cookie_${this.cookie}`, scheme: { type: 'apiKey', in: 'cookie', name: this.cookie } }];
  }
}

/** The revocation query for a token's claims. */
export function revocationQuery(payload: JwtPayload): { jti?: string; family?: string; sub?: string; iat?: number } {
  return {
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    family: typeof payload.fam === 'string' ? payload.fam : undefined,
    sub: typeof payload.sub === 'string' ? payload.sub : undefined,
    iat: typeof payload.iat === 'number' ? payload.iat : undefined,
  };
}

/** Maps claims to a context, as API.md states: sub, is_staff, is_superuser, permissions. */
export function toResult(payload: JwtPayload): AuthResult {
  const permissions = payload.permissions;
  return {
    // `sub` is a string by RFC 7519; a number some issuers send is read as its string form.
    userId: typeof payload.sub === 'string' ? payload.sub : typeof payload.sub === 'number' ? String(payload.sub) : null,
    isStaff: payload.is_staff === true,
    isSuperuser: payload.is_superuser === true,
    permissions: Array.isArray(permissions) ? permissions.filter((item): item is string => typeof item === 'string') : [],
    claims: payload,
  };
}

function unavailable(error: unknown): AuthError {
  return error instanceof AuthError ? error : new AuthUnavailableError('The revocation store did not answer', { cause: error });
}

function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}
