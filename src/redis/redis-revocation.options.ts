import type { Redis } from 'ioredis';

/** Options of `RedisRevocation`. */
export interface RedisRevocationOptions {
  /** A Redis URL (`redis://host:6379/0`); ignored when `client` is given. */
  url?: string;
  /**
   * A client the application already has; it is never closed by this store, and the store's
   * scripts are defined on it. The replica reads the log on a duplicate of it (closed with the
   * store). Its own ioredis `keyPrefix` option must be unset: use this store's `keyPrefix`.
   */
  client?: Redis;
  /**
   * Prefix of every key (revocations, refresh records, the log).
   * @default 'warden:'
   */
  keyPrefix?: string;
  /**
   * How long a Redis command may take before the request fails closed (503 `auth_unavailable`).
   * A command that fails or times out also stops the replica from answering until it has heard
   * from Redis again.
   * @default 500
   */
  timeoutMs?: number;
  /**
   * How long the replica waits for news on the log before Redis must answer anyway: the
   * heartbeat that shows the replica is current even when nothing is revoked.
   * @default 250
   */
  heartbeatMs?: number;
  /**
   * The most time since the replica last confirmed it had read the whole log. Past it (a
   * silent partition, a stalled or restarted Redis, a blocked event loop) checks stop using
   * the replica and ask Redis itself, failing closed when it does not answer in `timeoutMs`.
   * It bounds how long a revocation made on another instance can go unseen here.
   * @default 1000
   */
  maxStalenessMs?: number;
  /**
   * The most revocations the local replica holds (about 60 bytes each: 1,000,000 retain 59 MiB).
   * Past it the replica keeps what it has but no longer claims to hold every revocation: a token
   * it does not know as revoked is checked with Redis (fail closed), until a later reload (tried
   * every five minutes) fits again.
   * @default 1000000
   */
  replicaMaxEntries?: number;
  /**
   * About how many entries the revocation log keeps (`XADD MAXLEN ~`). A replica that fell
   * further behind (a long partition) notices the gap and reloads everything.
   * @default 100000
   */
  streamMaxLength?: number;
  /**
   * What to do when Redis's `maxmemory-policy` could evict this store's keys (anything but
   * `noeviction`: the `volatile-*` policies evict keys with an expiry, which every revocation
   * has), or cannot be read (`CONFIG` disabled, as on some managed Redis): `'refuse'` fails the
   * start-up with a message; `'warn'` starts anyway and logs a warning. An evicted key is a
   * revocation forgotten or a replayed refresh token accepted.
   * @default 'refuse'
   */
  evictionCheck?: 'refuse' | 'warn';
}

/** The options, checked and with their defaults. */
export interface RedisRevocationSettings {
  prefix: string;
  timeoutMs: number;
  heartbeatMs: number;
  maxStalenessMs: number;
  replicaMaxEntries: number;
  streamMaxLength: number;
  evictionCheck: 'refuse' | 'warn';
}

/** Checks the options once, at construction: a misuse is a `TypeError` that says how to fix it. */
export function resolveSettings(options: RedisRevocationOptions): RedisRevocationSettings {
  if (options.client === undefined && options.url === undefined) throw new TypeError('RedisRevocation needs `url` or `client`');
  if (options.client?.options.keyPrefix) {
    throw new TypeError(
      "RedisRevocation: the client's ioredis `keyPrefix` option must be unset; pass `keyPrefix` to RedisRevocation instead",
    );
  }
  const settings: RedisRevocationSettings = {
    prefix: options.keyPrefix ?? 'warden:',
    timeoutMs: whole(options.timeoutMs ?? 500, 'timeoutMs'),
    heartbeatMs: whole(options.heartbeatMs ?? 250, 'heartbeatMs'),
    maxStalenessMs: whole(options.maxStalenessMs ?? 1000, 'maxStalenessMs'),
    replicaMaxEntries: whole(options.replicaMaxEntries ?? 1_000_000, 'replicaMaxEntries'),
    streamMaxLength: whole(options.streamMaxLength ?? 100_000, 'streamMaxLength'),
    evictionCheck: options.evictionCheck ?? 'refuse',
  };
  if (settings.heartbeatMs >= settings.maxStalenessMs) {
    throw new TypeError('RedisRevocation: `heartbeatMs` must be below `maxStalenessMs`, or a healthy replica would count as stale');
  }
  if (settings.evictionCheck !== 'refuse' && settings.evictionCheck !== 'warn') {
    throw new TypeError("RedisRevocation: `evictionCheck` is 'refuse' or 'warn'");
  }
  return settings;
}

function whole(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`RedisRevocation: \`${name}\` must be a whole number > 0`);
  return value;
}
