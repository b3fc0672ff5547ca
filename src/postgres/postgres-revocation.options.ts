import type { Pool, PoolConfig } from 'pg';
import type { ReplicaSettings } from '../revocation/replica-engine.source.js';

/** Options of `PostgresRevocation`. */
export interface PostgresRevocationOptions {
  /** A connection string (`postgres://user:password@host:5432/db`); ignored when `pool` is given. */
  connectionString?: string;
  /**
   * A `pg` pool the application already has; it is never closed by this store. The store takes
   * one of its connections for as long as it runs (the replica's `LISTEN`), and borrows another
   * for each command.
   */
  pool?: Pool;
  /** Further `pg` pool settings (ssl, max, ...) for the pool the store opens from `connectionString`. */
  poolConfig?: Omit<PoolConfig, 'connectionString'>;
  /**
   * The schema of the store's tables (created when missing, with `createTables`).
   * @default 'public'
   */
  schema?: string;
  /**
   * Prefix of the store's table names: `<prefix>revocations`, `<prefix>rotations`,
   * `<prefix>revocation_log`, `<prefix>revocation_state`. Lower-case letters, digits and `_`.
   * @default 'warden_'
   */
  tablePrefix?: string;
  /**
   * Create the tables at start-up (`CREATE TABLE IF NOT EXISTS`, under an advisory lock, so
   * instances starting together do not collide). With `false`, run the migration shipped in the
   * package (`nestjs-warden/postgres/migration.sql`, or `postgresRevocationSql()`) yourself; the
   * store then checks at start-up that the tables exist.
   * @default true
   */
  createTables?: boolean;
  /**
   * How long a database command may take before the request fails closed (503 `auth_unavailable`).
   * A command that fails or times out also stops the replica from answering until it has read
   * the log again.
   * @default 500
   */
  timeoutMs?: number;
  /**
   * How often the replica reads the log when no notification came: the heartbeat that shows it
   * is current even when nothing is revoked.
   * @default 250
   */
  heartbeatMs?: number;
  /**
   * The most time since the replica last confirmed it had read the whole log. Past it (a silent
   * partition, a stalled or restarted server, a blocked event loop) checks stop using the replica
   * and ask the database, failing closed when it does not answer in `timeoutMs`.
   * @default 1000
   */
  maxStalenessMs?: number;
  /**
   * The most revocations the local replica holds (about 60 bytes each). Past it the replica keeps
   * what it has but no longer claims to hold every revocation: a token it does not know as revoked
   * is checked with the database (fail closed), until a later reload fits again.
   * @default 1000000
   */
  replicaMaxEntries?: number;
  /**
   * About how many entries the revocation log keeps. A replica that fell further behind (a long
   * partition) notices the gap and reloads everything.
   * @default 100000
   */
  logMaxRows?: number;
  /**
   * How often this instance deletes expired revocations, refresh records and old log rows.
   * @default 60000
   */
  cleanupIntervalMs?: number;
  /**
   * Rows per `DELETE` of the cleanup: each batch is its own short statement that skips rows
   * another instance is deleting, so the cleanup never holds a lock for long.
   * @default 1000
   */
  cleanupBatchSize?: number;
}

/** The options, checked and with their defaults. */
export interface PostgresRevocationSettings extends ReplicaSettings {
  schema: string;
  tablePrefix: string;
  createTables: boolean;
  logMaxRows: number;
  cleanupIntervalMs: number;
  cleanupBatchSize: number;
}

const NAME = /^[a-z_][a-z0-9_]*$/;

/** Checks the options once, at construction: a misuse is a `TypeError` that says how to fix it. */
export function resolveSettings(options: PostgresRevocationOptions): PostgresRevocationSettings {
  if (options.pool === undefined && options.connectionString === undefined) {
    throw new TypeError('PostgresRevocation needs `connectionString` or `pool`');
  }
  const schema = options.schema ?? 'public';
  const tablePrefix = options.tablePrefix ?? 'warden_';
  // Names go into SQL text (identifiers cannot be parameters): only plain lower-case names.
  if (!NAME.test(schema) || schema.length > 40) {
    throw new TypeError(
      'PostgresRevocation: `schema` must be lower-case letters, digits and `_` (at most 40), starting with a letter or `_`',
    );
  }
  if ((tablePrefix !== '' && !NAME.test(tablePrefix)) || tablePrefix.length > 20) {
    throw new TypeError(
      'PostgresRevocation: `tablePrefix` must be lower-case letters, digits and `_` (at most 20), starting with a letter or `_`',
    );
  }
  const settings: PostgresRevocationSettings = {
    schema,
    tablePrefix,
    createTables: options.createTables ?? true,
    timeoutMs: whole(options.timeoutMs ?? 500, 'timeoutMs'),
    heartbeatMs: whole(options.heartbeatMs ?? 250, 'heartbeatMs'),
    maxStalenessMs: whole(options.maxStalenessMs ?? 1000, 'maxStalenessMs'),
    replicaMaxEntries: whole(options.replicaMaxEntries ?? 1_000_000, 'replicaMaxEntries'),
    logMaxRows: whole(options.logMaxRows ?? 100_000, 'logMaxRows'),
    cleanupIntervalMs: whole(options.cleanupIntervalMs ?? 60_000, 'cleanupIntervalMs'),
    cleanupBatchSize: whole(options.cleanupBatchSize ?? 1000, 'cleanupBatchSize'),
  };
  if (settings.heartbeatMs >= settings.maxStalenessMs) {
    throw new TypeError('PostgresRevocation: `heartbeatMs` must be below `maxStalenessMs`, or a healthy replica would count as stale');
  }
  return settings;
}

function whole(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`PostgresRevocation: \`${name}\` must be a whole number > 0`);
  return value;
}
