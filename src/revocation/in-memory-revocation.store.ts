import type { OnModuleDestroy } from '@nestjs/common';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';

/** Options of {@link InMemoryRevocation}. */
export interface InMemoryRevocationOptions {
  /**
   * How often expired entries are swept, in milliseconds.
   * @default 60000
   */
  sweepIntervalMs?: number;
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

  constructor(options: InMemoryRevocationOptions = {}) {
    super();
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    this.tokens.set(jti, expiresAt);
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    this.families.set(family, Math.max(expiresAt, this.families.get(family) ?? 0));
  }

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number): Promise<void> {
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
    this.consumed.set(jti, expiresAt);
    return true;
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
