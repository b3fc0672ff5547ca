import type { KeyObject } from 'node:crypto';
import type { AuthResult } from '../context/request-context.interface.js';
import type { RevocationQuery } from '../revocation/revocation.store.js';
import { DEFAULT_CLAIMS_MAPPING, type ClaimsMapping } from './claims-mapping.js';
import { deepFreeze, revocationQuery, toResult } from './jwt-claims.js';
import { checkTimes, type ClaimRules, type JwtPayload } from './jwt-verifier.js';

/**
 * A verified token, mapped once: its claims, the result a backend returns for it and its
 * revocation query. A cached one is deep-frozen: every request that presents the same token
 * shares it, so nothing is allocated per request and nothing a handler does reaches the next one.
 */
export interface VerifiedToken {
  /** The claims. */
  readonly payload: Readonly<JwtPayload>;
  /** What `JwtAuthentication` answers for the token (`toResult`). */
  readonly result: Readonly<AuthResult>;
  /** What the revocation store is asked (`revocationQuery`). */
  readonly revocation: Readonly<RevocationQuery>;
}

/**
 * Maps a verified payload (see {@link VerifiedToken}); `frozen` deep-freezes it all, as an
 * entry the cache shares between requests must be. Without a cache each request parses its
 * own payload, so nothing is shared and nothing needs freezing. `mapping` reads roles and
 * scopes (after the freeze: a mapping function cannot change the claims it reads).
 */
export function verifiedToken(payload: JwtPayload, frozen: boolean, mapping: ClaimsMapping = DEFAULT_CLAIMS_MAPPING): VerifiedToken {
  if (frozen) deepFreeze(payload);
  const result = toResult(payload, mapping);
  const revocation = revocationQuery(payload);
  if (!frozen) return { payload, result, revocation };
  Object.freeze(result.permissions);
  Object.freeze(result.roles);
  Object.freeze(result.scopes);
  // The entry itself stays internal (never handed out): only what requests and stores see is frozen.
  return { payload, result: Object.freeze(result), revocation: Object.freeze(revocation) };
}

/**
 * Verified tokens by the whole token string, so a client that reuses its token skips
 * signature verification. Bounded: when full, the oldest entry goes (insertion order, no
 * reordering on a hit: a hit stays a plain `Map` lookup). `exp`/`nbf` are re-checked on
 * every hit and an expired entry is dropped; failures are never stored.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedToken>();
  /** The tokens verified with each key of a remote key set, to drop them when the key leaves the set. */
  private readonly byKey = new Map<KeyObject, Set<string>>();
  /** The key each such token was verified with (absent for local keys, which never leave). */
  private readonly keyOf = new Map<string, KeyObject>();

  /**
   * @param maxEntries how many tokens are remembered; `0` remembers none.
   * @param mapping where the verifier's tokens carry roles and scopes (kept here for {@link verifiedToken}).
   */
  constructor(
    private readonly maxEntries: number,
    readonly mapping: ClaimsMapping = DEFAULT_CLAIMS_MAPPING,
  ) {}

  /** The entry of `token`, checked against `rules` as of `now` (seconds); throws its time error. */
  get(token: string, rules: ClaimRules, now: number): VerifiedToken | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    try {
      checkTimes(entry.payload, rules, now);
    } catch (error) {
      this.delete(token);
      throw error;
    }
    return entry;
  }

  /**
   * Remembers a verified token, evicting the oldest when full. `key`: the remote key that
   * verified it, so {@link dropKeys} can forget it when the key set no longer lists that key.
   */
  set(token: string, entry: VerifiedToken, key?: KeyObject): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.delete(oldest.value);
    }
    this.entries.set(token, entry);
    if (key === undefined) return;
    this.keyOf.set(token, key);
    let tokens = this.byKey.get(key);
    if (tokens === undefined) this.byKey.set(key, (tokens = new Set()));
    tokens.add(token);
  }

  /** Forgets every token verified with one of `keys` (removed from their key set): the next request verifies it again, and is refused. */
  dropKeys(keys: readonly KeyObject[]): void {
    for (const key of keys) {
      for (const token of this.byKey.get(key) ?? []) {
        this.entries.delete(token);
        this.keyOf.delete(token);
      }
      this.byKey.delete(key);
    }
  }

  /** Whether tokens are remembered at all (`maxEntries` > 0). */
  get enabled(): boolean {
    return this.maxEntries > 0;
  }

  /** How many tokens are remembered. */
  get size(): number {
    return this.entries.size;
  }

  private delete(token: string): void {
    this.entries.delete(token);
    const key = this.keyOf.get(token);
    if (key === undefined) return;
    this.keyOf.delete(token);
    const tokens = this.byKey.get(key);
    tokens?.delete(token);
    if (tokens?.size === 0) this.byKey.delete(key);
  }
}
