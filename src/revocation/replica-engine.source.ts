import { AuthUnavailableError } from '../auth.errors.js';
import type { RevocationKind } from './revocation-set.js';
import type { UserCutoff } from './user-cutoff.js';

/** How a replica runs: the options every shared store with a replica resolves (`RedisRevocation`, `PostgresRevocation`). */
export interface ReplicaSettings {
  /** How long one command may take before it fails closed (ms). */
  timeoutMs: number;
  /** How long a follow read waits for news before the store must answer anyway: the heartbeat (ms). */
  heartbeatMs: number;
  /** The most time since the replica last read to the end of the log before it stops answering "not revoked" (ms). */
  maxStalenessMs: number;
  /** The most revocations the replica holds before it stops claiming to hold every one. */
  replicaMaxEntries: number;
}

/** One revocation as the shared store keeps it: what it names, until when (epoch seconds), and a user's cut-off. */
export interface ReplicaRecord {
  kind: RevocationKind;
  id: string;
  expiresAt: number;
  cutoff: UserCutoff;
}

/** One entry of the ordered log: where it sits, its number (consecutive: a gap means entries were missed), what it records. */
export interface LogEntry<P> {
  position: P;
  seq: number;
  /** `undefined` for an entry this reader does not understand (it still counts in the numbering). */
  record: ReplicaRecord | undefined;
}

/**
 * What a shared store offers its replica: a snapshot of every revocation and an ordered,
 * numbered, replayable log of them, readable from any position it still holds. `P` is a log
 * position (a Redis stream id, a PostgreSQL sequence number).
 */
export interface ReplicaSource<P> {
  /** The position before the first entry. */
  readonly origin: P;
  /** The log's last position and number, read together. */
  head(): Promise<{ position: P; seq: number }>;
  /** One page of the snapshot from `cursor` (`undefined`: the first page); `cursor` is `undefined` after the last one. */
  scan(cursor: string | undefined): Promise<{ records: ReplicaRecord[]; cursor: string | undefined }>;
  /** Up to `count` entries after `after`, at once. */
  read(after: P, count: number): Promise<Array<LogEntry<P>>>;
  /**
   * The heartbeat: waits up to `heartbeatMs` for news, then reads up to `count` entries after
   * `after`. `sentAt` (performance.now()) is when the read that returned them was sent; `rewound`
   * says the log is not the one this replica read before (a store restored or recreated).
   */
  follow(after: P, count: number): Promise<{ entries: Array<LogEntry<P>>; sentAt: number; rewound?: boolean }>;
  /**
   * Whether the source pushes entries to the replica as they are written (`ReplicaEngine.push`),
   * so a follow read may return entries already applied. Only for a source whose follow read
   * reports `rewound` itself: a lower number is then never a sign of a store that lost its data.
   */
  readonly pushes?: boolean;
  /** Orders two positions (negative: `a` before `b`). */
  compare(a: P, b: P): number;
  /** A read went unanswered (a silent partition): drop the connection and open a new one. */
  reconnect(): void;
  /** Calls `listener` after every reconnection, so the replica compares the log's head with its own. */
  onReconnect(listener: () => void): void;
  /** With `pushes`: calls `listener` with each entry pushed. */
  onPush?(listener: (entry: LogEntry<P>) => void): void;
  /** Closes the replica's connection. */
  close(): void;
}

/** Why a command failed: no answer within its time. */
export class CommandTimeout extends Error {
  constructor(ms: number) {
    super(`No answer from the revocation store within ${ms} ms`);
  }
}

/**
 * `operation`, or `AuthUnavailableError` (503) when it fails or takes longer than `timeoutMs`.
 * The operation keeps a handler after the timeout (Promise.race subscribes to it), so a late
 * rejection is never unhandled.
 */
export function bounded<T>(operation: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AuthUnavailableError('The revocation store did not answer in time', { cause: new CommandTimeout(timeoutMs) })),
      timeoutMs,
    );
  });
  return Promise.race([operation, timeout])
    .catch((error: unknown) => {
      throw error instanceof AuthUnavailableError
        ? error
        : new AuthUnavailableError('The revocation store is unavailable', { cause: error });
    })
    .finally(() => clearTimeout(timer));
}
