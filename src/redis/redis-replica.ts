import { performance } from 'node:perf_hooks';
import { decodeCutoff, type UserCutoff } from '../revocation/user-cutoff.js';
import { RevocationSet, type RevocationKind } from '../revocation/revocation-set.js';
import type { RevocationQuery } from '../revocation/revocation.store.js';
import { bounded, CommandTimeout, type RedisRevocationSettings } from './redis-revocation.options.js';
import { KINDS, type RedisKeys, type WardenRedis } from './redis-scripts.js';

/** Keys per SCAN page of a reload, and log entries per read. */
const PAGE = 2000;
const BATCH = 1000;
/**
 * How long one step of a reload may take. Checks ask Redis while the replica reloads, so this
 * bounds no answer; it only tells a dead connection from a busy Redis (many instances reloading
 * a million keys at once), where restarting the reload from scratch would never finish.
 */
const RELOAD_STEP_MS = 10_000;
/** How long a replica that outgrew `replicaMaxEntries` waits before trying a full reload again. */
const RETRY_INCOMPLETE_MS = 300_000;

type LogEntry = [id: string, fields: string[]];

/**
 * The local copy of the revocations that lets `RedisRevocation` answer the hot path without a
 * round trip. It is built as a snapshot plus the ordered log: read the log's head (last id and
 * number), SCAN every revocation key, then replay the log from that head; from then on it reads
 * the log from the last id it applied, after any reconnection too, so no revocation written
 * during a reload or a disconnection is missed. Entries are numbered: a gap (the log trimmed past
 * this reader) or a rewind (Redis restarted without its data) triggers a full reload.
 *
 * The blocking read doubles as the heartbeat: Redis answers it within `heartbeatMs` even when
 * nothing happens, and the replica answers "not revoked" only while its last read that reached
 * the end of the log was sent less than `maxStalenessMs` ago and after the last failed command.
 */
export class RedisReplica {
  private set: RevocationSet | undefined;
  private complete = false;
  private loading: { set: RevocationSet; complete: boolean } | undefined;
  private lastId = '0-0';
  private lastSeq = 0;
  /** When (performance.now()) the last read that reached the end of the log was sent. */
  private freshAsOf = -Infinity;
  private demotedAt = -Infinity;
  private reloadNeeded = true;
  private reloadAt = Infinity;
  private headCheckNeeded = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Ends the pause between two failed attempts early (on stop). */
  private wake: (() => void) | undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly redis: WardenRedis,
    private readonly keys: RedisKeys,
    private readonly settings: RedisRevocationSettings,
  ) {
    // After any reconnection, compare the log's head with ours: a Redis that came back without
    // its data (or another one after a failover) needs a full reload.
    redis.on('ready', () => {
      this.headCheckNeeded = true;
    });
    this.sweeper = setInterval(() => this.set?.sweep(Date.now() / 1000), 60_000);
    this.sweeper.unref();
  }

  /** Starts following the log (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops following the log and closes the replica's connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    this.redis.disconnect();
    this.wake?.();
    await this.loop;
  }

  /**
   * `true` or `false` when the replica can answer, `undefined` when Redis must be asked: a
   * revocation it holds is always an answer (they are never undone), "not revoked" only when it
   * is current and complete.
   */
  answer(query: RevocationQuery): boolean | undefined {
    const set = this.set;
    if (set === undefined) return undefined;
    if (set.isRevoked(query, Date.now() / 1000)) return true;
    return this.complete && this.current() ? false : undefined;
  }

  /** Whether "not revoked" is answered locally right now. */
  get serving(): boolean {
    return this.set !== undefined && this.complete && this.current();
  }

  /** Records a revocation this instance wrote, so it is refused here at once. */
  apply(kind: RevocationKind, id: string, expiresAt: number, cutoff: UserCutoff): void {
    if (this.set !== undefined && !this.set.add(kind, id, expiresAt, cutoff)) this.complete = false;
    if (this.loading !== undefined && !this.loading.set.add(kind, id, expiresAt, cutoff)) this.loading.complete = false;
  }

  /** A command to Redis failed or timed out: answer from Redis until the log is read again. */
  demote(): void {
    this.demotedAt = performance.now();
  }

  private current(): boolean {
    return this.freshAsOf > this.demotedAt && performance.now() - this.freshAsOf <= this.settings.maxStalenessMs;
  }

  /** The follow loop. It never rejects: every failure demotes the replica and is retried. */
  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.headCheckNeeded) await this.checkHead();
        if (this.reloadNeeded || performance.now() >= this.reloadAt) await this.reload();
        await this.follow();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.demote();
        // A read that got no answer at all (a silent partition sends no FIN or RST): drop that
        // connection and open a new one, rather than wait for TCP to notice.
        if (error instanceof Error && error.cause instanceof CommandTimeout) this.redis.disconnect(true);
        failures++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(50 * 2 ** failures, 1000));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private async checkHead(): Promise<void> {
    this.headCheckNeeded = false;
    const [id, seq] = await this.bounded(this.redis.wardenHead(this.keys.log, this.keys.seq));
    if (Number(seq) < this.lastSeq || compareIds(id, this.lastId) < 0) this.reloadNeeded = true;
  }

  /** One blocking read of the log from the last id applied: the heartbeat. */
  private async follow(): Promise<void> {
    const sentAt = performance.now();
    const reply = await bounded(
      this.redis.xread('COUNT', BATCH, 'BLOCK', this.settings.heartbeatMs, 'STREAMS', this.keys.log, this.lastId),
      this.settings.heartbeatMs + this.settings.timeoutMs,
    );
    const entries = reply?.[0]?.[1] ?? [];
    const target = this.set;
    if (target === undefined) return;
    if (!this.replay(entries, (kind, id, exp, cutoff) => target.add(kind, id, exp, cutoff) || (this.complete = false))) return;
    if (entries.length < BATCH) this.freshAsOf = sentAt;
  }

  /**
   * A full reload: the log's head, every revocation key, then the log from that head. The old
   * copy is dropped first (memory stays within one copy); checks ask Redis meanwhile.
   */
  private async reload(): Promise<void> {
    this.set = undefined;
    const loading = { set: new RevocationSet(this.settings.replicaMaxEntries), complete: true };
    this.loading = loading;
    try {
      const [headId, headSeq] = await this.step(this.redis.wardenHead(this.keys.log, this.keys.seq));
      let cursor = '0';
      do {
        const page = await this.step(this.redis.wardenScan(cursor, this.keys.pattern, PAGE, this.keys.entryOffset));
        cursor = String(page[0]);
        for (let i = 1; i + 2 < page.length && loading.complete; i += 3) {
          const entry = String(page[i]);
          const kind = KINDS[entry.slice(0, 1)];
          if (kind !== undefined && !loading.set.add(kind, entry.slice(2), Number(page[i + 1]), decodeCutoff(String(page[i + 2]))))
            loading.complete = false;
        }
      } while (cursor !== '0' && loading.complete);
      this.lastId = headId;
      this.lastSeq = Number(headSeq);
      const add = (kind: RevocationKind, id: string, exp: number, cutoff: UserCutoff): boolean =>
        loading.set.add(kind, id, exp, cutoff) || (loading.complete = false);
      for (;;) {
        const sentAt = performance.now();
        const reply = await this.step(this.redis.xread('COUNT', BATCH, 'STREAMS', this.keys.log, this.lastId));
        const entries = reply?.[0]?.[1] ?? [];
        if (!this.replay(entries, add)) throw new Error('The revocation log was trimmed during a reload');
        if (entries.length < BATCH) {
          this.freshAsOf = sentAt;
          break;
        }
      }
      this.set = loading.set;
      this.complete = loading.complete;
      this.reloadNeeded = false;
      this.reloadAt = loading.complete ? Infinity : performance.now() + RETRY_INCOMPLETE_MS;
    } finally {
      this.loading = undefined;
    }
  }

  /** Applies log entries in order; `false` (and a reload scheduled) at the first gap in their numbers. */
  private replay(entries: LogEntry[], add: (kind: RevocationKind, id: string, exp: number, cutoff: UserCutoff) => unknown): boolean {
    for (const [id, fields] of entries) {
      const entry = readFields(fields);
      if (entry.seq !== this.lastSeq + 1) {
        this.reloadNeeded = true;
        return false;
      }
      if (entry.kind !== undefined) add(entry.kind, entry.id, entry.exp, entry.cutoff);
      this.lastId = id;
      this.lastSeq = entry.seq;
    }
    return true;
  }

  private bounded<T>(operation: Promise<T>): Promise<T> {
    return bounded(operation, this.settings.timeoutMs);
  }

  private step<T>(operation: Promise<T>): Promise<T> {
    return bounded(operation, Math.max(RELOAD_STEP_MS, this.settings.timeoutMs));
  }
}

function readFields(fields: string[]): { kind: RevocationKind | undefined; id: string; exp: number; cutoff: UserCutoff; seq: number } {
  const entry = { kind: undefined as RevocationKind | undefined, id: '', exp: 0, cutoff: { cutoff: 0 } as UserCutoff, seq: NaN };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    if (fields[i] === 'k') entry.kind = KINDS[value];
    else if (fields[i] === 'i') entry.id = value;
    else if (fields[i] === 'e') entry.exp = Number(value);
    else if (fields[i] === 'c') entry.cutoff = decodeCutoff(value);
    else if (fields[i] === 's') entry.seq = Number(value);
  }
  return entry;
}

/** Orders two stream ids (`<ms>-<n>`). */
function compareIds(a: string, b: string): number {
  const [aTime = 0, aSeq = 0] = a.split('-').map(Number);
  const [bTime = 0, bSeq = 0] = b.split('-').map(Number);
  return aTime - bTime || aSeq - bSeq;
}
