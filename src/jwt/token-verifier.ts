import type { KeyObject } from 'node:crypto';
import { TokenClaimsInvalidError, TokenInvalidError } from '../auth.errors.js';
import { andThen } from '../auth.policy.js';
import {
  importPublicKey,
  importSecret,
  isJwtAlgorithm,
  isSymmetric,
  keyMismatch,
  type JwtAlgorithm,
  type KeyInput,
} from './jwt-algorithms.js';
import type { EventSink } from '../events/auth-event.interface.js';
import type { JwksKeySet } from './jwks-key-set.js';
import { refusal } from './refusal.js';
import { claimsMapping, type ClaimsMappingOptions } from './claims-mapping.js';
import { probeVerifier, type ProbeVerdict } from './jwt-probe.js';
import { decodeJwt, verifyDecoded, type ClaimRules, type DecodedJwt, type HeaderMemo, type JwtPayload } from './jwt-verifier.js';
import { VerifiedTokenCache, verifiedToken, type VerifiedToken } from './verified-token.cache.js';
import { remoteKeySet, type RemoteKeyOptions } from './oidc-discovery.js';
import { peekIssuer } from './oidc-issuer.js';

/** How access tokens are verified: keys (local, a JWKS, or OpenID discovery), algorithms, claim rules, the verified-token cache. */
export interface JwtVerifierOptions extends RemoteKeyOptions, ClaimsMappingOptions {
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
   * Tokens longer than this are refused before any parsing.
   * @default 8192
   */
  maxTokenLength?: number;
  /**
   * Claims every token must carry.
   * @default ['exp']
   */
  requiredClaims?: string[];
  /**
   * How many verified tokens are remembered, keyed by the whole token, so a client that
   * reuses its token skips signature verification. `exp`/`nbf` are re-checked on every use
   * and revocation is checked after the cache on every request; failures are never cached.
   * Remembered claims are deep-frozen: a handler cannot change them for the next request.
   * The cache also holds at most 32 MiB (reckoned from the tokens' lengths); once full, a token
   * is remembered on its second verification only, so tokens seen once do not evict reused ones.
   * `0` disables the cache.
   * @default 10000
   */
  cacheSize?: number;
}

/** Looks up the key of a decoded token (a remote key set may answer with a Promise). */
export type KeyLookup = (decoded: DecodedJwt) => KeyObject | Promise<KeyObject>;

/**
 * Verifies access tokens: keys imported and checked against the algorithms once, at
 * construction (a `TypeError` names a bad option), then length, shape, algorithm, signature,
 * claims, and `type` (only an access token, or a token without `type`, is accepted).
 * Verified tokens are remembered, deep-frozen and mapped, in a {@link VerifiedTokenCache}.
 */
export class TokenVerifier {
  /** The accepted `alg` values. */
  readonly algorithms: ReadonlySet<string>;
  /** Audience, issuer, leeway and required claims, checked after the signature. */
  readonly rules: ClaimRules;
  /** Longer tokens are refused before any parsing. */
  readonly maxTokenLength: number;
  /** Whether keys come from a remote key set (never fetched by a start-up probe). */
  readonly remoteKeys: boolean;
  private readonly keys = new Map<JwtAlgorithm, KeyObject>();
  private readonly jwks: JwksKeySet | undefined;
  private readonly cache: VerifiedTokenCache;
  /** The headers this verifier has already checked (one per algorithm and `kid`, in practice). */
  private readonly headers: HeaderMemo = new Map();
  /** The remote key each freshly verified payload was checked with, for the cache (see `remember`). */
  private readonly remoteKeyOf = new WeakMap<JwtPayload, KeyObject>();

  /**
   * @param what names the owner in error messages (`'JwtAuthentication'`).
   * @param keyFor the key lookup to use; defaults to {@link TokenVerifier.localKey}.
   */
  constructor(
    options: JwtVerifierOptions,
    what: string,
    private readonly keyFor: KeyLookup = (decoded) => this.localKey(decoded),
  ) {
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
    this.jwks = remoteKeySet(options, what);
    this.remoteKeys = this.jwks !== undefined;
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
    this.maxTokenLength = options.maxTokenLength ?? 8192;
    const cacheSize = options.cacheSize ?? 10_000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new TypeError(`${what}: \`cacheSize\` must be a whole number >= 0`);
    this.cache = new VerifiedTokenCache(cacheSize, claimsMapping(options, what));
    // A token verified with a key the set no longer lists is verified again (and refused).
    this.jwks?.onKeysRemoved((keys) => this.cache.dropKeys(keys));
  }

  /**
   * Verifies a token (shape, algorithm, signature, claims; not revocation) and maps it.
   * Answers at once from the cache or with local keys, with a Promise while a remote key set
   * is fetched. Throws the `AuthError` that names the first failure.
   */
  verify(token: string): VerifiedToken | Promise<VerifiedToken> {
    const cached = this.cache.get(token, this.rules, Date.now() / 1000);
    if (cached !== undefined) {
      this.jwks?.refreshIfStale();
      return cached;
    }
    return andThen(this.verifyFresh(token), this.rememberToken, token);
  }

  /**
   * Like {@link verify}, but `null` for another issuer's token: with `issuer` set, a token whose
   * `iss` (read unverified, before the algorithm or any key) is not listed is not this
   * verifier's. A cached token answers without parsing anything.
   */
  verifyOwn(token: string): VerifiedToken | Promise<VerifiedToken> | null {
    const cached = this.cache.get(token, this.rules, Date.now() / 1000);
    if (cached !== undefined) {
      this.jwks?.refreshIfStale();
      return cached;
    }
    const peeked = peekIssuer(token, this.rules.issuer, this.maxTokenLength);
    if (peeked === null) return null;
    return andThen(this.verifyFresh(token, peeked), this.rememberToken, token);
  }

  /** Like {@link verify}, for the claims alone: nothing is mapped unless it goes into the cache. */
  verifyClaims(token: string): JwtPayload | Promise<JwtPayload> {
    const cached = this.cache.get(token, this.rules, Date.now() / 1000);
    if (cached !== undefined) {
      this.jwks?.refreshIfStale();
      return cached.payload;
    }
    const payload = this.verifyFresh(token);
    if (!this.cache.enabled) return payload;
    return andThen(payload, this.rememberClaims, token);
  }

  /** The key of a decoded token: from the remote key set, or the local key of its algorithm. */
  localKey(decoded: DecodedJwt): KeyObject | Promise<KeyObject> {
    if (this.jwks !== undefined) return this.jwks.resolve(decoded.header.kid, decoded.header.alg);
    const key = this.keys.get(decoded.header.alg);
    if (key === undefined) throw refusal(TokenInvalidError, 'No key for the token algorithm');
    return key;
  }

  /**
   * Judges offline whether `token` (signed by the caller with `claims`) would be accepted:
   * nothing cached, no key set fetched. `opaqueKeys` when the keys are out of sight (a
   * remote key set, or an owner's own key lookup).
   */
  probe(token: string, claims: JwtPayload, opaqueKeys: boolean): ProbeVerdict {
    const { algorithms, keys, rules, maxTokenLength } = this;
    return probeVerifier(token, claims, { algorithms, keys, rules, maxTokenLength, opaqueKeys: opaqueKeys || this.remoteKeys });
  }

  /** Reports the remote key set's fetches to an app's events (nothing without a key set); returns what stops it. */
  reportKeysTo(sink: EventSink): () => void {
    return this.jwks?.reportTo(sink) ?? ((): void => undefined);
  }

  /** How many verified tokens the cache holds. */
  get cachedTokens(): number {
    return this.cache.size;
  }

  /** @param payload the payload already parsed for issuer routing, used once the signature is checked. */
  private verifyFresh(token: string, payload?: JwtPayload): JwtPayload | Promise<JwtPayload> {
    const decoded = decodeJwt(token, this.algorithms, this.maxTokenLength, this.headers);
    if (payload !== undefined) decoded.payload = payload;
    // Judged as of when the key is at hand (a remote key set may take a while).
    return andThen(this.keyFor(decoded), this.checkNow, decoded);
  }

  // Made once per verifier: `andThen` hands them their arguments, so a request allocates no closure.
  private readonly checkNow = (key: KeyObject, decoded: DecodedJwt): JwtPayload => this.check(decoded, key, Date.now() / 1000);
  private readonly rememberToken = (payload: JwtPayload, token: string): VerifiedToken => this.remember(token, payload);
  private readonly rememberClaims = (payload: JwtPayload, token: string): JwtPayload => this.remember(token, payload).payload;

  private check(decoded: DecodedJwt, key: KeyObject, now: number): JwtPayload {
    const payload = verifyDecoded(decoded, key, this.rules, now);
    if (payload.type !== undefined && payload.type !== 'access') {
      throw refusal(TokenClaimsInvalidError, 'Only an access token is accepted here');
    }
    if (this.jwks !== undefined) this.remoteKeyOf.set(payload, key);
    return payload;
  }

  private remember(token: string, payload: JwtPayload): VerifiedToken {
    // Only a cached token is shared by several requests, so only it is frozen. One the cache does
    // not admit (no cache; full, and seen once) is this request's alone: nothing frozen, nothing kept.
    if (!this.cache.admits(token)) return verifiedToken(payload, false, this.cache.mapping);
    const entry = verifiedToken(payload, true, this.cache.mapping);
    const key = this.remoteKeyOf.get(payload);
    // A key removed while this token was being verified: answer, but do not remember it.
    if (key !== undefined && this.jwks?.holds(key) !== true) return entry;
    this.cache.set(token, entry, key);
    return entry;
  }
}

function toList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}
