import type { OnModuleDestroy } from '@nestjs/common';
import { AuthUnavailableError } from '../auth.errors.js';
import { RevocationSet, type RevocationKind } from './revocation-set.js';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';
import { userCutoff, type UserCutoff } from './user-cutoff.js';

/** Options of {@link InMemoryRevocation}. */
export interface InMemoryRevocationOptions {
  /**
   * How often expired entries are swept, in milliseconds.
   * @default 60000
   */
  sweepIntervalMs?: number;
  /**
   * The most entries held: revocations, logout-all cut-offs and one refresh record per login
   * that has refreshed (rotating replaces a login's record, it never adds one). When full,
   * expired entries are swept first; if it is still full, a new entry is refused with
   * `AuthUnavailableError` (503) rather than evicting a live one, which would silently
   * un-revoke a token.
   * @default 1000000
   */
  maxEntries?: number;
}

/**
 * A revocation store in this process's memory: right for a single instance and for tests.
 * Entries are dropped when the token they concern expires, so memory follows the number
 * of revoked tokens that are still alive, plus one small record per login that refreshed.
 * Use `RedisRevocation` when several instances must share revocations.
 */
export class InMemoryRevocation extends RevocationStore implements OnModuleDestroy {
  private readonly set: RevocationSet;
  /** Each login's live refresh token id, and until when the record is kept (epoch seconds). */
  private readonly rotations = new Map<string, { current: string; expiresAt: number }>();
  private readonly timer: NodeJS.Timeout;
  private lastFullSweep = 0;

  constructor(options: InMemoryRevocationOptions = {}) {
    super();
    const maxEntries = options.maxEntries ?? 1_000_000;
    if (!Number.isInteger(maxEntries) || maxEntries <= 0)
      throw new TypeError('InMemoryRevocation: `maxEntries` must be a whole number > 0');
    this.set = new RevocationSet(maxEntries);
    this.timer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    this.add('jti', jti, expiresAt);
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    this.add('family', family, expiresAt);
  }

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number, options: { except?: string } = {}): Promise<void> {
    this.add('user', sub, expiresAt, userCutoff(cutoff, options.except));
  }

  isRevoked(query: RevocationQuery): boolean {
    return this.set.isRevoked(query, Date.now() / 1000);
  }

  async rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean> {
    const record = this.rotations.get(family);
    const live = record !== undefined && record.expiresAt > Date.now() / 1000;
    if (live && record.current !== current) return false;
    if (record === undefined) this.reserve(() => this.size < this.set.maxEntries);
    this.rotations.set(family, { current: next, expiresAt: Math.max(expiresAt, live ? record.expiresAt : 0) });
    return true;
  }

  /** Drops every entry whose token has expired. Runs on a timer; exposed for tests. */
  sweep(now = Date.now() / 1000): void {
    this.set.sweep(now);
    for (const [family, record] of this.rotations) if (record.expiresAt <= now) this.rotations.delete(family);
  }

  /** How many entries are held (revocations, cut-offs and refresh records together). */
  get size(): number {
    return this.set.size + this.rotations.size;
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private add(kind: RevocationKind, id: string, expiresAt: number, cutoff?: UserCutoff): void {
    // Refresh records count against the same bound.
    this.reserve(() => this.set.add(kind, id, expiresAt, cutoff, this.rotations.size));
  }

  /** Runs `attempt` (which reports whether it found room), sweeping once first if it did not; refuses (fail closed) when still full. */
  private reserve(attempt: () => boolean): void {
    if (attempt()) return;
    const now = Date.now();
    if (now - this.lastFullSweep >= 1000) {
      this.lastFullSweep = now;
      this.sweep();
      if (attempt()) return;
    }
    throw new AuthUnavailableError('The in-memory revocation store is full of live revocations');
  }
}
