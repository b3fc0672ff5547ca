import type { OnModuleDestroy } from '@nestjs/common';
import { AuthUnavailableError } from '../auth.errors.js';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';

/** Options of {@link InMemoryRevocation}. */
export interface InMemoryRevocationOptions {
  /**
   * How often expired entries are swept, in milliseconds.
   * @default 60000
   */
  sweepIntervalMs?: number;
  /**
   * The most entries held. When full, expired entries are swept first; if it is still full,
   * a new revocation is refused with `AuthUnavailableError` (503) rather than evicting a live
   * one, which would silently un-revoke a token.
   * @default 1000000
   */
  maxEntries?: number;
}

/**
 * A revocation store in this process's memory: right for a single instance and for tests.
 * Entries are dropped when the token they concern expires, so memory follows the number
 * of revoked tokens that are still alive. Use `RedisRevocation` when several instances
 * must share revocations.
 */
export class InMemoryRevocation extends RevocationStore implements OnModuleDestroy {
  private readonly tokens = new Map<string, number>();
  private readonly families = new Map<string, number>();
  private readonly cutoffs = new Map<string, { cutoff: number; expiresAt: number }>();
  private readonly consumed = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxEntries: number;
  private lastFullSweep = 0;

  constructor(options: InMemoryRevocationOptions = {}) {
    super();
    this.maxEntries = options.maxEntries ?? 1_000_000;
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    this.reserve();
    this.tokens.set(jti, expiresAt);
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    this.reserve();
    this.families.set(family, Math.max(expiresAt, this.families.get(family) ?? 0));
  }

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    this.reserve();
    const previous = this.cutoffs.get(sub);
    this.cutoffs.set(sub, {
      cutoff: Math.max(cutoff, previous?.cutoff ?? 0),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0),
    });
  }

  isRevoked(query: RevocationQuery): boolean {
    const now = Date.now() / 1000;
    if (query.jti !== undefined && live(this.tokens.get(query.jti), now)) return true;
    if (query.family !== undefined && live(this.families.get(query.family), now)) return true;
    if (query.sub !== undefined) {
      const entry = this.cutoffs.get(query.sub);
      if (entry !== undefined && entry.expiresAt > now && (query.iat ?? 0) <= entry.cutoff) return true;
    }
    return false;
  }

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    if (live(this.consumed.get(jti), Date.now() / 1000)) return false;
    this.reserve();
    this.consumed.set(jti, expiresAt);
    return true;
  }

  /** Makes room for one entry, or refuses (fail closed) when live entries fill the store. */
  private reserve(): void {
    if (this.size < this.maxEntries) return;
    const now = Date.now();
    if (now - this.lastFullSweep >= 1000) {
      this.lastFullSweep = now;
      this.sweep();
    }
    if (this.size >= this.maxEntries) {
      throw new AuthUnavailableError('The in-memory revocation store is full of live revocations');
    }
  }

  /** Drops every entry whose token has expired. Runs on a timer; exposed for tests. */
  sweep(now = Date.now() / 1000): void {
    for (const map of [this.tokens, this.families, this.consumed]) {
      for (const [key, expiresAt] of map) if (expiresAt <= now) map.delete(key);
    }
    for (const [key, entry] of this.cutoffs) if (entry.expiresAt <= now) this.cutoffs.delete(key);
  }

  /** How many entries are held (revoked, consumed and cut-off entries together). */
  get size(): number {
    return this.tokens.size + this.families.size + this.cutoffs.size + this.consumed.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}

function live(expiresAt: number | undefined, now: number): boolean {
  return expiresAt !== undefined && expiresAt > now;
}
