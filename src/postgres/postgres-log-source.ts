import { performance } from 'node:perf_hooks';
import type { Notification, Pool, PoolClient } from 'pg';
import type { LogEntry, ReplicaRecord, ReplicaSettings, ReplicaSource } from '../revocation/replica-engine.source.js';
import { cutoffOf, noop, nowSeconds, type RevocationRow } from './postgres-connection.js';
import { KINDS, type PostgresNames, type statements } from './postgres-sql.js';

/** Revocations per page of a reload. */
const PAGE = 2000;

type LogRow = RevocationRow & { seq: string };

/**
 * What `PostgresRevocation`'s replica (the shared `ReplicaEngine`) reads, on one connection of its
 * own that `LISTEN`s on the store's channel: the `revocations` table (keyset pages), and the log
 * table, numbered without gaps. A notification only wakes the reader early; what it applies always
 * comes from the log, read in order from the last number it applied, so a notification lost in a
 * reconnection loses nothing. Every follow read also returns the log's head and the database's
 * `epoch`, so a database restored or recreated behind the replica's back makes it reload.
 */
export class PostgresLogSource implements ReplicaSource<number> {
  readonly origin = 0;
  readonly pushes = true;
  private client: PoolClient | undefined;
  private connecting: Promise<PoolClient> | undefined;
  private epoch: string | undefined;
  private notified = false;
  private wakeUp: (() => void) | undefined;
  private closed = false;
  /** Bumped whenever the connection is dropped: an open that started before is abandoned. */
  private generation = 0;
  private readonly listeners: Array<() => void> = [];
  private pushed: ((entry: LogEntry<number>) => void) | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly names: PostgresNames,
    private readonly sql: ReturnType<typeof statements>,
    private readonly settings: ReplicaSettings,
  ) {}

  async head(): Promise<{ position: number; seq: number }> {
    const { rows } = await (await this.connection()).query<{ seq: string; epoch: string }>(this.sql.head);
    const row = rows[0];
    if (row === undefined) throw new Error(`${this.names.state} has no row: run the migration again`);
    this.epoch = row.epoch;
    return { position: Number(row.seq), seq: Number(row.seq) };
  }

  async scan(cursor: string | undefined): Promise<{ records: ReplicaRecord[]; cursor: string | undefined }> {
    const [kind, id] = cursor === undefined ? ['', ''] : (JSON.parse(cursor) as [string, string]);
    const { rows } = await (await this.connection()).query<RevocationRow>(this.sql.scan, [kind, id, nowSeconds(), PAGE]);
    const records = rows.flatMap((row) => recordOf(row) ?? []);
    const last = rows[rows.length - 1];
    return { records, cursor: rows.length < PAGE || last === undefined ? undefined : JSON.stringify([last.kind, last.id]) };
  }

  async read(after: number, count: number): Promise<Array<LogEntry<number>>> {
    const { rows } = await (await this.connection()).query<LogRow>(this.sql.read, [after, count]);
    return rows.map(entryOf);
  }

  async follow(after: number, count: number): Promise<{ entries: Array<LogEntry<number>>; sentAt: number; rewound?: boolean }> {
    const client = await this.connection();
    if (!this.notified) await this.news();
    this.notified = false;
    const sentAt = performance.now();
    const { rows } = await client.query<{ head: string; epoch: string } & { [K in keyof LogRow]: LogRow[K] | null }>(this.sql.follow, [
      after,
      count,
    ]);
    const first = rows[0];
    if (first === undefined) throw new Error(`${this.names.state} has no row: run the migration again`);
    const rewound = first.epoch !== this.epoch || Number(first.head) < after;
    const entries = rows.flatMap((row) => (row.seq === null ? [] : [entryOf(row as LogRow)]));
    return { entries, sentAt, rewound };
  }

  compare(a: number, b: number): number {
    return a - b;
  }

  reconnect(): void {
    this.drop(new Error('The replica connection did not answer in time'));
  }

  onReconnect(listener: () => void): void {
    this.listeners.push(listener);
  }

  onPush(listener: (entry: LogEntry<number>) => void): void {
    this.pushed = listener;
  }

  close(): void {
    this.closed = true;
    this.drop(new Error('The revocation store is closing'));
    this.wakeUp?.();
  }

  /** The replica's connection, opened (and `LISTEN`ing) when there is none. */
  private connection(): Promise<PoolClient> {
    if (this.closed) return Promise.reject(new Error('The revocation store is closed'));
    if (this.client !== undefined) return Promise.resolve(this.client);
    if (this.connecting === undefined) {
      const attempt = this.open();
      this.connecting = attempt;
      // A failed attempt is not kept: the next read tries again.
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<PoolClient> {
    const generation = this.generation;
    const client = await this.pool.connect();
    const abandoned = (): boolean => this.closed || this.generation !== generation;
    client.on('error', () => this.drop(new Error('The replica connection failed'), client));
    client.on('notification', (message: Notification) => {
      if (message.channel !== this.names.channel) return;
      const entry = pushedEntry(message.payload);
      if (entry !== undefined) this.pushed?.(entry);
      this.wake();
    });
    try {
      if (abandoned()) throw new Error('abandoned');
      await client.query(`SET application_name = '${this.names.prefix}replica'`);
      await client.query(`LISTEN "${this.names.channel}"`);
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    if (abandoned()) {
      client.release(new Error('abandoned'));
      throw new Error('The replica connection was replaced');
    }
    this.client = client;
    this.connecting = undefined;
    // What was written while no one listened is in the log; and the database may not be the same one.
    for (const listener of this.listeners) listener();
    this.wake();
    return client;
  }

  /** Drops the replica's connection (never handed back to the pool: it `LISTEN`s). */
  private drop(error: Error, which?: PoolClient): void {
    const client = this.client;
    if (which !== undefined && which !== client) return;
    this.generation++;
    this.connecting = undefined;
    if (client === undefined) return;
    this.client = undefined;
    client.on('error', noop);
    client.release(error);
    this.wake();
  }

  private wake(): void {
    this.notified = true;
    this.wakeUp?.();
  }

  /** Resolves on a notification (or a dropped connection, or closing), or after `heartbeatMs`. */
  private news(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.settings.heartbeatMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

function recordOf(row: RevocationRow): ReplicaRecord | undefined {
  const kind = KINDS[row.kind];
  return kind === undefined ? undefined : { kind, id: row.id, expiresAt: Number(row.expires_at), cutoff: cutoffOf(row) };
}

/** The entry a notification carries (`[seq, kind, id, expires_at, cutoff, family, family_cutoff]`), if it carries one. */
function pushedEntry(payload: string | undefined): LogEntry<number> | undefined {
  if (payload === undefined || !payload.startsWith('[')) return undefined;
  try {
    const [seq, kind, id, exp, cutoff, family, familyCutoff] = JSON.parse(payload) as unknown[];
    if (typeof seq !== 'number' || typeof kind !== 'string' || typeof id !== 'string') return undefined;
    const row = {
      kind,
      id,
      expires_at: String(exp),
      cutoff: String(cutoff),
      family: typeof family === 'string' ? family : null,
      family_cutoff: String(familyCutoff ?? 0),
    };
    return { position: seq, seq, record: recordOf(row) };
  } catch {
    return undefined;
  }
}

function entryOf(row: LogRow): LogEntry<number> {
  const seq = Number(row.seq);
  return { position: seq, seq, record: recordOf(row) };
}
