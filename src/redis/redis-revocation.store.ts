import type { OnModuleDestroy } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AuthUnavailableError } from '../auth.errors.js';
import { InMemoryRevocation } from '../revocation/in-memory-revocation.store.js';
import { RevocationStore, type RevocationQuery } from '../revocation/revocation.store.js';

/** Options of {@link RedisRevocation}. */
export interface RedisRevocationOptions {
  /** A Redis URL (`redis://host:6379/0`); ignored when `client` is given. */
  url?: string;
  /** A client the application already has; it is never closed by this store. */
  client?: Redis;
  /**
   * Prefix of every key and of the pub/sub channel.
   * @default 'warden:'
   */
  keyPrefix?: string;
  /**
   * How long a Redis command may take before the request fails closed (503 `auth_unavailable`).
   * @default 500
   */
  timeoutMs?: number;
}

type RevocationEvent = { kind: 'jti' | 'fam'; id: string; exp: number } | { kind: 'user'; id: string; cutoff: number; exp: number };

const RAISE_CUTOFF = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2]) end
return 1`;

/**
 * Revocations shared by every instance through Redis (ioredis). Each key expires with the
 * token it concerns (`SET … EXAT`). Every instance keeps a local replica, filled from Redis
 * and kept current through pub/sub, so the hot path answers without a round trip; while the
 * subscription is down (or not loaded yet) each check asks Redis, bounded by `timeoutMs`, and
 * fails closed. Refresh decisions (`consume`, `isRevoked(…, { fresh: true })`) always ask Redis.
 * Imported from `nestjs-warden/redis`; needs the optional peer `ioredis` (`npm i ioredis`).
 *
 * @example
 * ```ts
 * import { RedisRevocation } from 'nestjs-warden/redis';
 *
 * AuthModule.forRoot({ authentication: [...], revocation: new RedisRevocation({ url: process.env.REDIS_URL }) })
 * ```
 */
export class RedisRevocation extends RevocationStore implements OnModuleDestroy {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly timeoutMs: number;
  private replica = new InMemoryRevocation();
  private replicaReady = false;
  private closed = false;

  constructor(options: RedisRevocationOptions = {}) {
    super();
    if (options.client === undefined && options.url === undefined) throw new TypeError('RedisRevocation needs `url` or `client`');
    this.prefix = options.keyPrefix ?? 'warden:';
    this.channel = `${this.prefix}events`;
    this.timeoutMs = options.timeoutMs ?? 500;
    // Commands wait for a (re)connection, but never longer than `timeoutMs` (see bounded()).
    const settings: RedisOptions = {
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      connectTimeout: Math.max(1000, this.timeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    };
    this.owned = options.client === undefined;
    this.redis = options.client ?? new Redis(options.url as string, settings);
    this.subscriber = options.client === undefined ? new Redis(options.url as string, settings) : options.client.duplicate(settings);
    // Errors surface through the commands (fail closed); the events only track health.
    if (this.owned) this.redis.on('error', () => undefined);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('close', () => this.markStale());
    this.subscriber.on('end', () => this.markStale());
    this.subscriber.on('ready', () => void this.resync());
    this.subscriber.on('message', (_channel: string, message: string) => this.apply(message));
  }

  async revoke(jti: string, expiresAt: number): Promise<void> {
    await this.write({ kind: 'jti', id: jti, exp: expiresAt }, (redis) => redis.set(this.key('jti', jti), '1', 'EXAT', exat(expiresAt)));
  }

  async revokeFamily(family: string, expiresAt: number): Promise<void> {
    await this.write({ kind: 'fam', id: family, exp: expiresAt }, (redis) =>
      redis.set(this.key('fam', family), '1', 'EXAT', exat(expiresAt)),
    );
  }

  async revokeAllForUser(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    await this.write({ kind: 'user', id: sub, cutoff, exp: expiresAt }, (redis) =>
      redis.eval(RAISE_CUTOFF, 1, this.key('user', sub), String(cutoff), String(exat(expiresAt))),
    );
  }

  isRevoked(query: RevocationQuery, options: { fresh?: boolean } = {}): boolean | Promise<boolean> {
    if (this.replicaReady && options.fresh !== true) return this.replica.isRevoked(query);
    return this.ask(query);
  }

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    const answer = await this.bounded(this.redis.set(this.key('used', jti), '1', 'EXAT', exat(expiresAt), 'NX'));
    return answer === 'OK';
  }

  /** Whether checks are answered from the local replica (the subscription is healthy). */
  get usingReplica(): boolean {
    return this.replicaReady;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.replicaReady = false;
    this.replica.onModuleDestroy();
    this.subscriber.disconnect();
    if (this.owned) this.redis.disconnect();
  }

  private async ask(query: RevocationQuery): Promise<boolean> {
    const keys = [
      query.jti === undefined ? undefined : this.key('jti', query.jti),
      query.family === undefined ? undefined : this.key('fam', query.family),
      query.sub === undefined ? undefined : this.key('user', query.sub),
    ];
    const present = keys.filter((key): key is string => key !== undefined);
    if (present.length === 0) return false;
    const values = await this.bounded(this.redis.mget(...present));
    let index = 0;
    for (const key of keys) {
      if (key === undefined) continue;
      const value = values[index++];
      if (value === null || value === undefined) continue;
      if (key === keys[2]) {
        if ((query.iat ?? 0) <= Number(value)) return true;
      } else return true;
    }
    return false;
  }

  private async write(event: RevocationEvent, command: (redis: Redis) => Promise<unknown>): Promise<void> {
    await this.bounded(command(this.redis));
    this.applyEvent(event);
    await this.bounded(this.redis.publish(this.channel, JSON.stringify(event)));
  }

  private async resync(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.channel);
      const fresh = new InMemoryRevocation();
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        cursor = next;
        const wanted = keys.filter((key) => !key.startsWith(`${this.prefix}used:`) && key !== this.channel);
        if (wanted.length === 0) continue;
        const pipeline = this.redis.pipeline();
        for (const key of wanted) pipeline.get(key).expiretime(key);
        const results = (await pipeline.exec()) ?? [];
        wanted.forEach((key, i) => {
          const value = results[i * 2]?.[1] as string | null;
          const exp = Number(results[i * 2 + 1]?.[1]);
          if (value === null || !(exp > 0)) return;
          const [kind, ...rest] = key.slice(this.prefix.length).split(':');
          const id = rest.join(':');
          if (kind === 'jti') void fresh.revoke(id, exp);
          else if (kind === 'fam') void fresh.revokeFamily(id, exp);
          else if (kind === 'user') void fresh.revokeAllForUser(id, Number(value), exp);
        });
      } while (cursor !== '0');
      if (this.closed || this.subscriber.status !== 'ready') return;
      this.replica.onModuleDestroy();
      this.replica = fresh;
      this.replicaReady = true;
    } catch {
      this.markStale();
    }
  }

  private markStale(): void {
    this.replicaReady = false;
  }

  private apply(message: string): void {
    try {
      this.applyEvent(JSON.parse(message) as RevocationEvent);
    } catch {
      // Not ours: ignore.
    }
  }

  private applyEvent(event: RevocationEvent): void {
    if (event.kind === 'jti') void this.replica.revoke(event.id, event.exp);
    else if (event.kind === 'fam') void this.replica.revokeFamily(event.id, event.exp);
    else if (event.kind === 'user') void this.replica.revokeAllForUser(event.id, event.cutoff, event.exp);
  }

  private key(kind: 'jti' | 'fam' | 'user' | 'used', id: string): string {
    return `${this.prefix}${kind}:${id}`;
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AuthUnavailableError('The revocation store did not answer in time')), this.timeoutMs);
    });
    return Promise.race([operation, timeout])
      .catch((error: unknown) => {
        throw error instanceof AuthUnavailableError
          ? error
          : new AuthUnavailableError('The revocation store is unavailable', { cause: error });
      })
      .finally(() => clearTimeout(timer));
  }
}

function exat(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt));
}
