import { performance } from 'node:perf_hooks';
import type { EventSink, ReplicaState } from '../events/auth-event.interface.js';
import { describeError } from '../events/event-log.js';
import { ReplicaWatch } from '../events/replica-watch.js';
import {
  bounded,
  CommandTimeout,
  type LogEntry,
  type ReplicaRecord,
  type ReplicaSettings,
  type ReplicaSource,
} from './replica-engine.source.js';
import { RevocationSet, type RevocationKind } from './revocation-set.js';
import type { RevocationQuery } from './revocation.store.js';
import type { UserCutoff } from './user-cutoff.js';

const BATCH = 1000; // log entries per read
/**
 * How long one step of a reload may take. It bounds no answer (checks ask the store meanwhile): it
 * tells a dead connection from a busy store, where restarting the reload would never finish.
 */
const RELOAD_STEP_MS = 10_000;
/** How long a replica that outgrew `replicaMaxEntries` waits before trying a full reload again. */
const RETRY_INCOMPLETE_MS = 300_000;

type Add = (kind: RevocationKind, id: string, exp: number, cutoff: UserCutoff) => unknown;

/**
 * The local copy of the revocations that lets a shared store answer the hot path without a round
 * trip, whatever keeps them (Redis, PostgreSQL: a {@link ReplicaSource}). It is built as a snapshot
 * plus the ordered log: read the log's head (last position and number), every revocation, then the
 * log from that head; from then on it reads the log from the last position it applied, after any
 * reconnection too, so no revocation written during a reload or a disconnection is missed. Entries
 * are numbered: a gap (the log trimmed past this reader) or a rewind (the store restarted without
 * its data) triggers a full reload.
 *
 * The follow read doubles as the heartbeat: the store answers it within `heartbeatMs` even when
 * nothing happens, and the replica answers "not revoked" only while its last read that reached
 * the end of the log was sent less than `maxStalenessMs` ago and after the last failed command.
 */
export class ReplicaEngine<P> {
  private set: RevocationSet | undefined;
  private complete = false;
  private loading: { set: RevocationSet; complete: boolean } | undefined;
  private lastPosition: P;
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
  /** Reports demotions and restorations to the app's events (`attachEvents`). */
  private readonly watch = new ReplicaWatch();

  constructor(
    private readonly source: ReplicaSource<P>,
    private readonly settings: ReplicaSettings,
  ) {
    this.lastPosition = source.origin;
    // After any reconnection, compare the log's head with ours: a store that came back without
    // its data (or another one after a failover) needs a full reload.
    source.onPush?.((entry) => this.push(entry));
    source.onReconnect(() => {
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
    this.source.close();
    this.wake?.();
    await this.loop;
  }

  /**
   * `true` or `false` when the replica can answer, `undefined` when the store must be asked: a
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

  /** Reports `replica.demoted` / `replica.restored` to `events`, as the store named `store`. */
  attachEvents(events: EventSink, store: string): void {
    this.watch.attach(events, store);
  }

  /** What gauges read: entries held, time since last current (ms), whether it serves. */
  get state(): ReplicaState {
    return { entries: this.set?.size ?? 0, stalenessMs: performance.now() - this.freshAsOf, serving: this.serving };
  }

  /** Records a revocation this instance wrote, so it is refused here at once. */
  apply(kind: RevocationKind, id: string, expiresAt: number, cutoff: UserCutoff): void {
    if (this.set !== undefined && !this.set.add(kind, id, expiresAt, cutoff)) this.complete = false;
    if (this.loading !== undefined && !this.loading.set.add(kind, id, expiresAt, cutoff)) this.loading.complete = false;
  }

  /** An entry the store pushed: applied at once when it is the next one, else left to the log read. */
  push(entry: LogEntry<P>): void {
    const set = this.set;
    if (set === undefined || entry.seq !== this.lastSeq + 1) return;
    const record = entry.record;
    if (record !== undefined && !set.add(record.kind, record.id, record.expiresAt, record.cutoff)) this.complete = false;
    this.lastPosition = entry.position;
    this.lastSeq = entry.seq;
  }

  /** A command to the store failed or timed out: answer from the store until the log is read again. */
  demote(reason = 'a command failed'): void {
    this.demotedAt = performance.now();
    this.watch.update(false, reason);
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
        this.demote(`reading the log failed: ${describeError(error)}`);
        // A read that got no answer (a silent partition sends no FIN or RST): reconnect now.
        if (error instanceof Error && error.cause instanceof CommandTimeout) this.source.reconnect();
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
    const head = await bounded(this.source.head(), this.settings.timeoutMs);
    if (head.seq < this.lastSeq || this.source.compare(head.position, this.lastPosition) < 0) this.reloadNeeded = true;
  }

  /** One follow read of the log from the last position applied: the heartbeat. */
  private async follow(): Promise<void> {
    const read = await bounded(this.source.follow(this.lastPosition, BATCH), this.settings.heartbeatMs + this.settings.timeoutMs);
    const { sentAt, rewound } = read;
    let entries = read.entries;
    if (rewound === true) {
      this.reloadNeeded = true;
      return;
    }
    const target = this.set;
    if (target === undefined) return;
    // Entries pushed while the read was in flight come back in it: already applied.
    if (this.source.pushes === true) entries = entries.filter((entry) => entry.seq > this.lastSeq);
    if (!this.replay(entries, (kind, id, exp, cutoff) => target.add(kind, id, exp, cutoff) || (this.complete = false))) return;
    if (entries.length < BATCH) this.freshAsOf = sentAt;
    this.watch.update(this.serving, '');
  }

  /**
   * A full reload: the log's head, every revocation, then the log from that head. The old copy is
   * dropped first (memory stays within one copy); checks ask the store meanwhile.
   */
  private async reload(): Promise<void> {
    this.set = undefined;
    const loading = { set: new RevocationSet(this.settings.replicaMaxEntries), complete: true };
    this.loading = loading;
    const add = (record: ReplicaRecord): boolean =>
      loading.set.add(record.kind, record.id, record.expiresAt, record.cutoff) || (loading.complete = false);
    try {
      const head = await this.step(this.source.head());
      let cursor: string | undefined;
      do {
        const page = await this.step(this.source.scan(cursor));
        cursor = page.cursor;
        for (const record of page.records) if (!add(record)) break;
      } while (cursor !== undefined && loading.complete);
      this.lastPosition = head.position;
      this.lastSeq = head.seq;
      for (;;) {
        const sentAt = performance.now();
        const entries = await this.step(this.source.read(this.lastPosition, BATCH));
        if (!this.replay(entries, (kind, id, expiresAt, cutoff) => add({ kind, id, expiresAt, cutoff })))
          throw new Error('The revocation log was trimmed during a reload');
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
  private replay(entries: Array<LogEntry<P>>, add: Add): boolean {
    for (const entry of entries) {
      if (entry.seq !== this.lastSeq + 1) {
        this.reloadNeeded = true;
        return false;
      }
      const record = entry.record;
      if (record !== undefined) add(record.kind, record.id, record.expiresAt, record.cutoff);
      this.lastPosition = entry.position;
      this.lastSeq = entry.seq;
    }
    return true;
  }

  private step<T>(operation: Promise<T>): Promise<T> {
    return bounded(operation, Math.max(RELOAD_STEP_MS, this.settings.timeoutMs));
  }
}
