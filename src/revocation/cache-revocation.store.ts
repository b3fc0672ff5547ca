import { AuthError, AuthUnavailableError } from '../auth.errors.js';
import { RevocationStore, type RevocationQuery } from './revocation.store.js';

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
 * token. A cache has no atomic set-if-absent, so `consume()` (refresh rotation) is only
 * best-effort across instances: two instances refreshing the same token in the same
 * instant could both succeed. Use `RedisRevocation` where reuse detection must be exact.
 *
 * @example
 * ```ts
 * AuthModule.forRootAsync({ inject: [CACHE_MANAGER], useFactory: (cache: Cache) => ({ ..., revocation: new CacheRevocation(cache) }) })
 * ```
 */
export class CacheRevocation extends RevocationStore {
  private readonly prefix: string;

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

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    const previous = Number((await this.read(`user:${sub}`)) ?? 0);
    await this.put(`user:${sub}`, Math.max(previous, cutoff), expiresAt);
  }

  async isRevoked(query: RevocationQuery): Promise<boolean> {
    const [jti, family, cutoff] = await Promise.all([
      query.jti === undefined ? undefined : this.read(`jti:${query.jti}`),
      query.family === undefined ? undefined : this.read(`fam:${query.family}`),
      query.sub === undefined ? undefined : this.read(`user:${query.sub}`),
    ]);
    if (jti != null || family != null) return true;
    return cutoff != null && (query.iat ?? 0) <= Number(cutoff);
  }

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    if ((await this.read(`used:${jti}`)) != null) return false;
    await this.put(`used:${jti}`, 1, expiresAt);
    return true;
  }

  private async read(key: string): Promise<unknown> {
    try {
      return await this.cache.get(this.prefix + key);
    } catch (error) {
      throw unavailable(error);
    }
  }

  private async put(key: string, value: number, expiresAt: number): Promise<void> {
    const ttl = Math.ceil(expiresAt * 1000 - Date.now());
    if (ttl <= 0) return;
    try {
      await this.cache.set(this.prefix + key, value, ttl);
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function unavailable(error: unknown): AuthError {
  return error instanceof AuthError ? error : new AuthUnavailableError('The cache did not answer', { cause: error });
}
