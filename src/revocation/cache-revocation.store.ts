import { unavailable } from '../auth.policy.js';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';
import { cutoffRefuses, decodeCutoff, encodeCutoff, mergeCutoffs, userCutoff } from './user-cutoff.js';

const CACHE_FAILED = 'The cache did not answer';

/** What this store needs of a cache: `@nestjs/cache-manager`'s `Cache` (cache-manager 5–7) fits. */
export interface CacheLike {
  get<T>(key: string): Promise<T | undefined | null>;
  /** `ttl` in milliseconds. */
  set<T>(key: string, value: T, ttl?: number): Promise<unknown>;
}

/** Options of {@link CacheRevocation}. */
export interface CacheRevocationOptions {
  /**
   * Prefix of every key.
   * @default 'warden:'
   */
  keyPrefix?: string;
}

/**
 * Revocations in the application's cache (`@nestjs/cache-manager`), for apps that already
 * run one, shared when the cache is (Redis, Memcached…). Each entry lives as long as its
 * token; each login keeps one refresh record, replaced on every refresh.
 *
 * A cache has no compare-and-set, so read-modify-write steps (refresh rotation, raising a
 * logout-all cut-off) are serialized per key within this process: 20 concurrent refreshes of
 * one token here give exactly one new pair. Across processes sharing the cache they are only
 * best-effort: two instances refreshing the same token in the same instant could both succeed,
 * and a cache that evicts entries under memory pressure forgets revocations and refresh records.
 * Use `RedisRevocation` where reuse detection must be exact.
 *
 * @example
 * ```ts
 * AuthModule.forRootAsync({ inject: [CACHE_MANAGER], useFactory: (cache: Cache) => ({ ..., revocation: new CacheRevocation(cache) }) })
 * ```
 */
export class CacheRevocation extends RevocationStore {
  private readonly prefix: string;
  /** The last pending step of each key's read-then-write queue (see serialized()). */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly cache: CacheLike,
    options: CacheRevocationOptions = {},
  ) {
    super();
    if (cache === undefined || cache === null || typeof cache.get !== 'function' || typeof cache.set !== 'function') {
      throw new TypeError('CacheRevocation needs a cache-manager Cache (inject CACHE_MANAGER)');
    }
    this.prefix = options.keyPrefix ?? 'warden:';
  }

  revoke(jti: string, expiresAt: number): Promise<void> {
    return this.put(`jti:${jti}`, 1, expiresAt);
  }

  revokeFamily(family: string, expiresAt: number): Promise<void> {
    return this.put(`fam:${family}`, 1, expiresAt);
  }

  revokeAllForUser(sub: string, cutoff: number, expiresAt: number, options: { except?: string } = {}): Promise<void> {
    return this.serialized(`user:${sub}`, async () => {
      const previous = await this.read(`user:${sub}`);
      const entry = userCutoff(cutoff, options.except);
      await this.put(
        `user:${sub}`,
        encodeCutoff(previous == null ? entry : mergeCutoffs(decodeCutoff(String(previous)), entry)),
        expiresAt,
      );
    });
  }

  async isRevoked(query: RevocationQuery): Promise<boolean> {
    const [jti, family, cutoff] = await Promise.all([
      query.jti === undefined ? undefined : this.read(`jti:${query.jti}`),
      query.family === undefined ? undefined : this.read(`fam:${query.family}`),
      query.sub === undefined ? undefined : this.read(`user:${query.sub}`),
    ]);
    if (jti != null || family != null) return true;
    return cutoff != null && cutoffRefuses(decodeCutoff(String(cutoff)), query);
  }

  rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean> {
    return this.serialized(`rot:${family}`, async () => {
      const record = await this.read(`rot:${family}`);
      if (record != null && record !== current) return false;
      await this.put(`rot:${family}`, next, expiresAt);
      return true;
    });
  }

  /**
   * Runs `step` after every earlier step on the same key in this process has settled: the
   * cache cannot compare-and-set, so this is what makes a read-then-write atomic here.
   */
  private serialized<T>(key: string, step: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const result = previous.then(step, step);
    const settled = result.then(noop, noop);
    this.queues.set(key, settled);
    // The queue forgets a key once its last step settled, so it holds only keys in use.
    settled.then(() => this.queues.get(key) === settled && this.queues.delete(key), noop);
    return result;
  }

  private async read(key: string): Promise<unknown> {
    try {
      return await this.cache.get(this.prefix + key);
    } catch (error) {
      throw unavailable(error, CACHE_FAILED);
    }
  }

  private async put(key: string, value: number | string, expiresAt: number): Promise<void> {
    const ttl = Math.ceil(expiresAt * 1000 - Date.now());
    if (ttl <= 0) return;
    try {
      await this.cache.set(this.prefix + key, value, ttl);
    } catch (error) {
      throw unavailable(error, CACHE_FAILED);
    }
  }
}

function noop(): void {}
