import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DatabaseError, Pool, type PoolClient, type QueryResult, type QueryResultRow } from 'pg';
import { AuthUnavailableError } from '../auth.errors.js';
import { ReplicaEngine } from '../revocation/replica-engine.js';
import type { RevocationKind } from '../revocation/revocation-set.js';
import { ReplicatedRevocationStore } from '../revocation/replicated-revocation.store.js';
import type { RevocationQuery } from '../revocation/revocation.store.js';
import { cutoffRefuses, type UserCutoff } from '../revocation/user-cutoff.js';
import { cutoffOf, noop, nowSeconds, onConnection, type RevocationRow } from './postgres-connection.js';
import { PostgresLogSource } from './postgres-log-source.js';
import { resolveSettings, type PostgresRevocationOptions, type PostgresRevocationSettings } from './postgres-revocation.options.js';
import { KIND_CODES, PostgresNames, postgresRevocationSql, statements } from './postgres-sql.js';

/** SQLSTATE classes worth retrying at start-up: connection, operator intervention (restart), resources. */
const TRANSIENT = new Set(['08', '57', '53']);
/** How long one start-up or cleanup statement may take. */
const SLOW_MS = 5_000;

/**
 * Revocations shared by every instance through PostgreSQL (`pg`): one row per revocation,
 * expiring with its token, and an ordered log (a table numbered without gaps) written in the same
 * statement. Each instance keeps a local replica (a snapshot plus the log, read from where it left
 * off after any reconnection, woken by `LISTEN/NOTIFY`), so the hot path answers without a round
 * trip; a heartbeat bounds how stale it may be (`maxStalenessMs`), and while it is stale,
 * reloading, or over `replicaMaxEntries`, checks ask the database, bounded by `timeoutMs`, and
 * fail closed. Refresh rotation (a compare-and-set in one statement), reuse detection and checks
 * with `fresh` always ask the database. Expired rows are deleted in small batches.
 *
 * The tables are created at start-up (`createTables`, default) or by the migration shipped in the
 * package. In Nest that runs in `onModuleInit`; outside Nest, `await store.onModuleInit()` first.
 * Imported from `nestjs-warden/postgres`; needs the optional peer `pg` (`npm i pg`).
 *
 * @example
 * ```ts
 * import { PostgresRevocation } from 'nestjs-warden/postgres';
 *
 * AuthModule.forRoot({ authentication: [...], revocation: new PostgresRevocation({ connectionString: process.env.DATABASE_URL }) })
 * ```
 */
export class PostgresRevocation extends ReplicatedRevocationStore implements OnModuleInit, OnModuleDestroy {
  private readonly settings: PostgresRevocationSettings;
  private readonly names: PostgresNames;
  private readonly sql: ReturnType<typeof statements>;
  private readonly pool: Pool;
  private readonly owned: boolean;
  protected readonly replica: ReplicaEngine<number>;
  /** The start-up (tables created or found): pending, done, or why the store refuses to run. */
  private state: 'pending' | 'ok' | Error = 'pending';
  private readonly prepared: Promise<void>;
  private readonly cleaner: NodeJS.Timeout;
  private cleaning: Promise<unknown> | undefined;
  private closed = false;

  constructor(options: PostgresRevocationOptions = {}) {
    super('postgresql');
    this.settings = resolveSettings(options);
    this.names = new PostgresNames(this.settings.schema, this.settings.tablePrefix);
    this.sql = statements(this.names);
    this.owned = options.pool === undefined;
    this.pool =
      options.pool ??
      new Pool({
        max: 10,
        keepAlive: true,
        connectionTimeoutMillis: Math.max(1000, 2 * this.settings.timeoutMs),
        application_name: 'nestjs-warden',
        ...options.poolConfig,
        connectionString: options.connectionString,
      });
    // Failures surface through the commands (fail closed); an idle connection's error is noise.
    if (this.owned) this.pool.on('error', noop);
    this.replica = new ReplicaEngine(new PostgresLogSource(this.pool, this.names, this.sql, this.settings), this.settings);
    this.cleaner = setInterval(() => {
      this.cleaning ??= this.cleanup()
        .catch(noop)
        .finally(() => (this.cleaning = undefined));
    }, this.settings.cleanupIntervalMs);
    this.cleaner.unref();
    this.prepared = this.prepare();
  }

  async rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean> {
    const { rows } = await this.command('rotate', this.sql.rotate, [family, current, next, exat(expiresAt), nowSeconds()]);
    return rows.length === 1;
  }

  /** Whether "not revoked" is answered from the local replica right now (it is loaded, complete and current). */
  get usingReplica(): boolean {
    return this.replica.serving;
  }

  /**
   * Deletes expired revocations and refresh records, and log rows beyond `logMaxRows`, in
   * batches of `cleanupBatchSize` (each its own short statement, skipping rows another instance
   * holds). Runs every `cleanupIntervalMs`; exposed for tests and for a scheduler of your own.
   * Resolves with how many rows were deleted.
   */
  async cleanup(): Promise<{ revocations: number; rotations: number; log: number }> {
    const batch = this.settings.cleanupBatchSize;
    const drain = async (sql: string, first: number): Promise<number> => {
      let total = 0;
      // A bounded round: what is left waits for the next one.
      for (let round = 0; round < 1000 && !this.closed; round++) {
        const result = await onConnection(this.pool, SLOW_MS, (client) => client.query(sql, [first, batch]));
        total += result.rowCount ?? 0;
        if ((result.rowCount ?? 0) < batch) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return total;
    };
    const now = nowSeconds();
    return {
      revocations: await drain(this.sql.cleanRevocations, now),
      rotations: await drain(this.sql.cleanRotations, now),
      log: await drain(this.sql.trimLog, this.settings.logMaxRows),
    };
  }

  /**
   * Waits for the start-up (the tables created, or found with `createTables: false`; up to a few
   * seconds: a database that does not answer yet leaves the store failing closed until it does),
   * and throws when the database refused it (no privilege, tables missing).
   */
  async onModuleInit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(3000, 4 * this.settings.timeoutMs));
    });
    await Promise.race([this.prepared, waited]);
    clearTimeout(timer);
    if (this.state instanceof Error) throw this.state;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.cleaner);
    await this.replica.stop();
    await this.prepared;
    await this.cleaning;
    if (this.owned) await Promise.race([this.pool.end(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }

  protected async ask(query: RevocationQuery): Promise<boolean> {
    if (query.jti === undefined && query.family === undefined && query.sub === undefined) return false;
    const { rows } = await this.command<RevocationRow>('isRevoked', this.sql.ask, [
      query.jti ?? null,
      query.family ?? null,
      query.sub ?? null,
      nowSeconds(),
    ]);
    return rows.some((row) => row.kind !== KIND_CODES.user || cutoffRefuses(cutoffOf(row), query));
  }

  protected async write(kind: RevocationKind, id: string, expiresAt: number, cutoff: UserCutoff = { cutoff: 0 }): Promise<void> {
    const exp = exat(expiresAt);
    // An expired token is refused as expired: there is nothing to remember.
    if (exp <= Date.now() / 1000) return;
    const family = cutoff.family ?? null;
    const familyCutoff = family === null ? null : Math.floor(cutoff.familyCutoff ?? 0);
    const { rows } = await this.command('revoke', this.sql.revoke, [
      KIND_CODES[kind],
      id,
      exp,
      Math.floor(cutoff.cutoff),
      family,
      familyCutoff,
    ]);
    if (rows.length !== 1) throw new AuthUnavailableError(`The revocation was not recorded: ${this.names.state} has no row`);
    this.replica.apply(kind, id, exp, cutoff);
  }

  /** One statement: bounded by `timeoutMs`, failing closed; a failure demotes the replica. */
  private async command<R extends QueryResultRow = QueryResultRow>(name: string, sql: string, values: unknown[]): Promise<QueryResult<R>> {
    if (this.state !== 'ok') {
      throw new AuthUnavailableError('The revocation store is not ready', this.state instanceof Error ? { cause: this.state } : undefined);
    }
    return this.tracked(name, () => onConnection(this.pool, this.settings.timeoutMs, (client) => client.query<R>(sql, values)));
  }

  /**
   * Creates the tables (or checks they exist) once the database answers (retrying until then),
   * decides whether the store may run, and starts the replica when it may. Never rejects.
   */
  private async prepare(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await onConnection(this.pool, SLOW_MS, (client) =>
          this.settings.createTables ? this.createTables(client) : this.findTables(client),
        );
        this.state = 'ok';
        break;
      } catch (error) {
        const cause = error instanceof AuthUnavailableError ? error.cause : error;
        if (cause instanceof DatabaseError && !TRANSIENT.has(String(cause.code).slice(0, 2))) {
          this.state = new Error(
            `PostgresRevocation refuses to start: ${cause.message} (SQLSTATE ${cause.code}). ` +
              (this.settings.createTables
                ? 'Grant the role CREATE on the schema, or run the migration (nestjs-warden/postgres/migration.sql) and pass createTables: false.'
                : 'Run the migration shipped in the package (nestjs-warden/postgres/migration.sql, or postgresRevocationSql()).'),
            { cause },
          );
          break;
        }
        // Not reachable yet: a refusal would come as a DatabaseError.
        await new Promise((resolve) => setTimeout(resolve, Math.min(attempt * 100, 1000)));
      }
    }
    if (this.state === 'ok' && !this.closed) this.replica.start();
  }

  /** `CREATE ... IF NOT EXISTS` under an advisory lock: instances starting together do not collide. */
  private async createTables(client: PoolClient): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`nestjs-warden:${this.names.schema}.${this.names.prefix}`]);
      await client.query(postgresRevocationSql({ schema: this.names.schema, tablePrefix: this.names.prefix }));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(noop);
      throw error;
    }
  }

  private async findTables(client: PoolClient): Promise<void> {
    for (const table of [this.names.revocations, this.names.rotations, this.names.log, this.names.state]) {
      await client.query(`SELECT 1 FROM ${table} LIMIT 0`);
    }
  }
}

function exat(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt));
}
