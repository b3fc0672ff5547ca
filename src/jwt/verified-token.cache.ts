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
  // Copies made here, not the objects toResult and revocationQuery made: V8 allocates the objects
  // of a site whose objects mostly survive straight into the old generation ("pretenuring"), so
  // once the cache has filled, the short-lived results of tokens it does not admit would be too.
  // Only the objects of this site outlive their request.
  const kept: AuthResult = { ...result, permissions: frozenCopy(result.permissions ?? []) };
  if (result.roles !== undefined) kept.roles = frozenCopy(result.roles);
  if (result.scopes !== undefined) kept.scopes = frozenCopy(result.scopes);
  // The entry itself stays internal (never handed out): only what requests and stores see is frozen.
  return { payload, result: Object.freeze(kept), revocation: Object.freeze({ ...revocation }) };
}

function frozenCopy(list: readonly string[]): string[] {
  return Object.freeze([...list]) as string[];
}

/** What an entry is reckoned to hold besides its token: the parsed claims, the result, the revocation query, the map slot. */
const ENTRY_BYTES = 640;
/**
 * The bytes the cache may hold, reckoned per entry as twice its token's length (the key, and the
 * claims parsed from it) plus {@link ENTRY_BYTES}: at a typical 300-character token 10,000 entries
 * fit in ~12 MiB, while 10,000 tokens of 8 KiB would take 170 MiB; they get ~1,900 entries.
 */
export const CACHE_MAX_BYTES = 32 * 2 ** 20;

/**
 * Verified tokens by the whole token string, so a client that reuses its token skips
 * signature verification. Bounded by count and by bytes: when full, the oldest entry goes
 * (insertion order, no reordering on a hit: a hit stays a plain `Map` lookup). `exp`/`nbf` are
 * re-checked on every hit and an expired entry is dropped; failures are never stored.
 *
 * Admission: while there is room every verified token is remembered; once full, a token is
 * remembered only on its second verification (a doorkeeper of fingerprints, as TinyLFU's), so a
 * load of tokens each seen once (many users, an attacker's fresh tokens) neither evicts the
 * tokens clients reuse nor churns the old generation with entries that would never be hit.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedToken>();
  /** The tokens verified with each key of a remote key set, to drop them when the key leaves the set. */
  private readonly byKey = new Map<KeyObject, Set<string>>();
  /** The key each such token was verified with (absent for local keys, which never leave). */
  private readonly keyOf = new Map<string, KeyObject>();
  /** Fingerprints of tokens verified once while the cache was full, by slot (0: none). */
  private readonly seen: Int32Array;
  private bytes = 0;

  /**
   * @param maxEntries how many tokens are remembered; `0` remembers none.
   * @param mapping where the verifier's tokens carry roles and scopes (kept here for {@link verifiedToken}).
   * @param maxBytes the byte budget (see {@link CACHE_MAX_BYTES}).
   */
  constructor(
    private readonly maxEntries: number,
    readonly mapping: ClaimsMapping = DEFAULT_CLAIMS_MAPPING,
    private readonly maxBytes: number = CACHE_MAX_BYTES,
  ) {
    // A power of two at least the entry count (so a slot is `hash & mask`), 64 KiB at the default size.
    let slots = 64;
    while (slots < maxEntries && slots < 2 ** 20) slots *= 2;
    this.seen = new Int32Array(maxEntries === 0 ? 0 : slots);
  }

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
   * Whether a token just verified should be remembered (then frozen and {@link set}): yes while
   * there is room; when full, only if it was verified before (its fingerprint is in the
   * doorkeeper), else its fingerprint is noted and it is answered without being remembered.
   * A fingerprint collision only admits a verified token early: it never serves another token.
   */
  admits(token: string): boolean {
    if (this.maxEntries === 0) return false;
    if (this.entries.size < this.maxEntries && this.bytes + cost(token) <= this.maxBytes) return true;
    const print = fingerprint(token);
    const slot = print & (this.seen.length - 1);
    if (this.seen[slot] === print) {
      this.seen[slot] = 0;
      return true;
    }
    this.seen[slot] = print;
    return false;
  }

  /**
   * Remembers a verified token, evicting the oldest while over the count or the bytes. `key`:
   * the remote key that verified it, so {@link dropKeys} can forget it when the key set no
   * longer lists that key.
   */
  set(token: string, entry: VerifiedToken, key?: KeyObject): void {
    const size = cost(token);
    if (this.maxEntries === 0 || size > this.maxBytes) return;
    if (this.entries.has(token)) this.delete(token);
    while (this.entries.size >= this.maxEntries || this.bytes + size > this.maxBytes) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
    this.entries.set(token, entry);
    this.bytes += size;
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
        if (this.entries.delete(token)) this.bytes -= cost(token);
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

  /** The bytes the remembered tokens are reckoned to hold (see {@link CACHE_MAX_BYTES}). */
  get reckonedBytes(): number {
    return this.bytes;
  }

  private delete(token: string): void {
    if (this.entries.delete(token)) this.bytes -= cost(token);
    const key = this.keyOf.get(token);
    if (key === undefined) return;
    this.keyOf.delete(token);
    const tokens = this.byKey.get(key);
    tokens?.delete(token);
    if (tokens?.size === 0) this.byKey.delete(key);
  }
}

function cost(token: string): number {
  return 2 * token.length + ENTRY_BYTES;
}

/**
 * FNV-1a over the token's last 16 characters (its signature's: uniformly spread for a verified
 * token), never 0. Only ever asked about a token whose signature has just been verified.
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 16); i < token.length; i++) hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  return hash | 1;
}
