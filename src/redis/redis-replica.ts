import { performance } from 'node:perf_hooks';
import type { LogEntry, ReplicaRecord, ReplicaSettings, ReplicaSource } from '../revocation/replica-engine.source.js';
import { decodeCutoff, type UserCutoff } from '../revocation/user-cutoff.js';
import { KINDS, type RedisKeys, type WardenRedis } from './redis-scripts.js';

/** Keys per SCAN page of a reload. */
const PAGE = 2000;

/**
 * What `RedisRevocation`'s replica (the shared `ReplicaEngine`) reads, on its own connection: the
 * revocation keys (SCAN, with their expiry and value), and the log, a Redis stream whose entries
 * carry their number (`s`). The follow read is a blocking XREAD of `heartbeatMs`, so Redis itself
 * answers the heartbeat; a new connection (`ready`) makes the replica compare the log's head.
 */
export class RedisLogSource implements ReplicaSource<string> {
  readonly origin = '0-0';

  constructor(
    private readonly redis: WardenRedis,
    private readonly keys: RedisKeys,
    private readonly settings: ReplicaSettings,
  ) {}

  async head(): Promise<{ position: string; seq: number }> {
    const [id, seq] = await this.redis.wardenHead(this.keys.log, this.keys.seq);
    return { position: id, seq: Number(seq) };
  }

  async scan(cursor: string | undefined): Promise<{ records: ReplicaRecord[]; cursor: string | undefined }> {
    const page = await this.redis.wardenScan(cursor ?? '0', this.keys.pattern, PAGE, this.keys.entryOffset);
    const records: ReplicaRecord[] = [];
    for (let i = 1; i + 2 < page.length; i += 3) {
      const entry = String(page[i]);
      const kind = KINDS[entry.slice(0, 1)];
      if (kind !== undefined)
        records.push({ kind, id: entry.slice(2), expiresAt: Number(page[i + 1]), cutoff: decodeCutoff(String(page[i + 2])) });
    }
    const next = String(page[0]);
    return { records, cursor: next === '0' ? undefined : next };
  }

  async read(after: string, count: number): Promise<Array<LogEntry<string>>> {
    const reply = await this.redis.xread('COUNT', count, 'STREAMS', this.keys.log, after);
    return (reply?.[0]?.[1] ?? []).map(([id, fields]) => readEntry(id, fields));
  }

  async follow(after: string, count: number): Promise<{ entries: Array<LogEntry<string>>; sentAt: number }> {
    const sentAt = performance.now();
    const reply = await this.redis.xread('COUNT', count, 'BLOCK', this.settings.heartbeatMs, 'STREAMS', this.keys.log, after);
    return { entries: (reply?.[0]?.[1] ?? []).map(([id, fields]) => readEntry(id, fields)), sentAt };
  }

  compare(a: string, b: string): number {
    const [aTime = 0, aSeq = 0] = a.split('-').map(Number);
    const [bTime = 0, bSeq = 0] = b.split('-').map(Number);
    return aTime - bTime || aSeq - bSeq;
  }

  reconnect(): void {
    this.redis.disconnect(true);
  }

  onReconnect(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  close(): void {
    this.redis.disconnect();
  }
}

function readEntry(position: string, fields: string[]): LogEntry<string> {
  const entry = { kind: undefined as ReplicaRecord['kind'] | undefined, id: '', exp: 0, cutoff: { cutoff: 0 } as UserCutoff, seq: NaN };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    if (fields[i] === 'k') entry.kind = KINDS[value];
    else if (fields[i] === 'i') entry.id = value;
    else if (fields[i] === 'e') entry.exp = Number(value);
    else if (fields[i] === 'c') entry.cutoff = decodeCutoff(value);
    else if (fields[i] === 's') entry.seq = Number(value);
  }
  const record = entry.kind === undefined ? undefined : { kind: entry.kind, id: entry.id, expiresAt: entry.exp, cutoff: entry.cutoff };
  return { position, seq: entry.seq, record };
}
