import type { RevocationQuery } from './revocation.store.js';
import { cutoffMs, cutoffRefuses, mergeCutoffs, type UserCutoff } from './user-cutoff.js';

/** What one revocation names: a token id (`jti`), a login family, or a user's cut-off. */
export type RevocationKind = 'jti' | 'family' | 'user';

/**
 * Expiry times are kept as seconds after this instant (2023-11-14), so they fit V8's small
 * integers (no heap number per entry) until 2057; later ones are still exact, only larger.
 */
const EPOCH = 1_700_000_000;

/**
 * A bounded set of revocations answered synchronously: the in-memory store's contents and the
 * Redis store's local replica. Each entry is kept until its token expires. It never evicts a
 * live entry to make room (that would silently un-revoke a token): `add` refuses instead, and
 * the caller decides what a full set means (503, or "ask the shared store").
 */
export class RevocationSet {
  private readonly tokens = new Map<string, number>();
  private readonly families = new Map<string, number>();
  private readonly cutoffs = new Map<string, { entry: UserCutoff; expires: number }>();

  /** @param maxEntries the most entries held (tokens, families and users together). */
  constructor(readonly maxEntries: number) {}

  /**
   * Records a revocation (for `user`, every token of `id` issued at or before `cutoff`: epoch
   * milliseconds, or a whole `UserCutoff`), keeping the later expiry and merging cut-offs
   * (`mergeCutoffs`) when the entry exists. Returns `false`, changing nothing, when the entry is
   * new and the set is full (`others`: entries held elsewhere against the same bound).
   */
  add(kind: RevocationKind, id: string, expiresAt: number, cutoff: number | UserCutoff = 0, others = 0): boolean {
    const full = this.size + others >= this.maxEntries;
    const expires = Math.ceil(expiresAt) - EPOCH;
    if (kind === 'user') {
      const previous = this.cutoffs.get(id);
      if (previous === undefined && full) return false;
      const entry = typeof cutoff === 'number' ? { cutoff: cutoffMs(cutoff) } : cutoff;
      this.cutoffs.set(id, {
        entry: previous === undefined ? entry : mergeCutoffs(previous.entry, entry),
        expires: Math.max(expires, previous?.expires ?? expires),
      });
      return true;
    }
    const map = kind === 'jti' ? this.tokens : this.families;
    const previous = map.get(id);
    if (previous === undefined && full) return false;
    map.set(id, Math.max(expires, previous ?? expires));
    return true;
  }

  /** Whether the set revokes the token `query` describes, at `now` (epoch seconds). */
  isRevoked(query: RevocationQuery, now: number): boolean {
    const after = now - EPOCH;
    if (query.jti !== undefined && (this.tokens.get(query.jti) ?? -Infinity) > after) return true;
    if (query.family !== undefined && (this.families.get(query.family) ?? -Infinity) > after) return true;
    if (query.sub === undefined) return false;
    const entry = this.cutoffs.get(query.sub);
    return entry !== undefined && entry.expires > after && cutoffRefuses(entry.entry, query);
  }

  /** Drops every entry whose token has expired at `now` (epoch seconds). */
  sweep(now: number): void {
    const after = now - EPOCH;
    for (const map of [this.tokens, this.families]) {
      for (const [id, expires] of map) if (expires <= after) map.delete(id);
    }
    for (const [id, entry] of this.cutoffs) if (entry.expires <= after) this.cutoffs.delete(id);
  }

  /** How many entries are held. */
  get size(): number {
    return this.tokens.size + this.families.size + this.cutoffs.size;
  }
}
