/** What a revocation check looks at: the token's id, its login family, and its user's cut-off. */
export interface RevocationQuery {
  /** The token's `jti`. */
  jti?: string;
  /** The login family (`fam` claim) shared by every token descended from one login. */
  family?: string;
  /** The token's `sub`, checked against {@link RevocationStore.revokeAllForUser} cut-offs. */
  sub?: string;
  /** The token's `iat` (seconds). A token issued at or before its user's cut-off is revoked. */
  iat?: number;
  /**
   * When the token was issued, in epoch milliseconds (the `iat_ms` claim of tokens this package
   * issues); compared with cut-offs instead of `iat`, so a login right after a logout-all, in the
   * same second, is not refused.
   */
  issuedAtMs?: number;
}

/**
 * Where revocations live. An abstract class used as its own injection token: inject
 * `RevocationStore` to reach the module's store. Every method fails closed: a store
 * that cannot answer throws `AuthUnavailableError` (503), never answers "not revoked".
 *
 * Times are epoch seconds, except logout-all cut-offs: epoch milliseconds (a cut-off below
 * 10^11 is read as seconds, covering the whole second, as earlier versions wrote them). Each
 * entry may be forgotten once `expiresAt` has passed, since the token it concerns is refused
 * as expired from then on.
 */
export abstract class RevocationStore {
  /** Revokes one token id (a `jti`) until `expiresAt`. */
  abstract revoke(jti: string, expiresAt: number): Promise<void>;

  /** Revokes a whole login family (every access and refresh token that carries `fam`). */
  abstract revokeFamily(family: string, expiresAt: number): Promise<void>;

  /**
   * Refuses every token of `sub` issued at or before `cutoff` (epoch milliseconds), except, with
   * `except`, those of that login family (which stay refused up to any earlier cut-off). The
   * entry is kept until `expiresAt` (the longest lifetime of a token issued before the cut-off).
   * Cut-offs of one user combine (`mergeCutoffs`): a login is refused up to the latest cut-off
   * that did not spare it.
   */
  abstract revokeAllForUser(sub: string, cutoff: number, expiresAt: number, options?: { except?: string }): Promise<void>;

  /**
   * Whether the token is revoked. May answer synchronously (a local replica); `fresh`
   * asks the shared store itself, as refresh decisions require.
   */
  abstract isRevoked(query: RevocationQuery, options?: { fresh?: boolean }): boolean | Promise<boolean>;

  /**
   * Rotates a login's refresh token, atomically in the shared store: when `current` is the
   * family's live refresh token (or the family has no record yet: its first refresh), records
   * `next` in its place until `expiresAt` and resolves `true`, on whichever instance asks first;
   * otherwise (`current` was already rotated: a replay) resolves `false` and changes nothing.
   * One record per family: refreshing in a loop replaces it, so storage per login stays bounded.
   * `expiresAt` must outlive every refresh token of the family issued so far.
   */
  abstract rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean>;
}
