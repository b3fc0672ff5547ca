import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { AuthUnavailableError } from '../auth.errors.js';
import type { RevocationKind } from '../revocation/revocation-set.js';
import { ReplicaEngine } from '../revocation/replica-engine.js';
import { bounded } from '../revocation/replica-engine.source.js';
import { ReplicatedRevocationStore } from '../revocation/replicated-revocation.store.js';
import type { RevocationQuery } from '../revocation/revocation.store.js';
import { cutoffRefuses, decodeCutoff, encodeCutoff, type UserCutoff } from '../revocation/user-cutoff.js';
import { RedisLogSource } from './redis-replica.js';
import { resolveSettings, type RedisRevocationOptions, type RedisRevocationSettings } from './redis-revocation.options.js';
import { KIND_CODES, RedisKeys, withScripts, type WardenRedis } from './redis-scripts.js';

/**
 * Revocations shared by every instance through Redis (ioredis): one key per revocation,
 * expiring with its token, and an ordered log (a Redis stream) written in the same atomic step.
 * Each instance keeps a local replica (a snapshot plus the log, read from where it left off
 * after any reconnection), so the hot path answers without a round trip; a heartbeat bounds
 * how stale it may be (`maxStalenessMs`), and while it is stale, reloading, or over
 * `replicaMaxEntries`, checks ask Redis itself, bounded by `timeoutMs`, and fail closed.
 * Refresh rotation, reuse detection and checks with `fresh` always ask Redis.
 *
 * Run Redis with `maxmemory-policy noeviction` and persistence (`appendonly yes`): the store
 * refuses to start on a policy that can evict its keys (see `evictionCheck`). In Nest the check
 * runs in `onModuleInit`; outside Nest, `await store.onModuleInit()` before use.
 * Imported from `nestjs-warden/redis`; needs the optional peer `ioredis` (`npm i ioredis`).
 *
 * @example
 * ```ts
 * import { RedisRevocation } from 'nestjs-warden/redis';
 *
 * AuthModule.forRoot({ authentication: [...], revocation: new RedisRevocation({ url: process.env.REDIS_URL }) })
 * ```
 */
export class RedisRevocation extends ReplicatedRevocationStore implements OnModuleInit, OnModuleDestroy {
  private readonly settings: RedisRevocationSettings;
  private readonly keys: RedisKeys;
  private readonly redis: WardenRedis;
  private readonly owned: boolean;
  protected readonly replica: ReplicaEngine<string>;
  /** The start-up check of `maxmemory-policy`: pending, passed, or why the store refuses to run. */
  private policy: 'pending' | 'ok' | Error = 'pending';
  private readonly policyChecked: Promise<void>;
  private closed = false;

  constructor(options: RedisRevocationOptions = {}) {
    super('redis');
    this.settings = resolveSettings(options);
    this.keys = new RedisKeys(this.settings.prefix);
    const { timeoutMs } = this.settings;
    // Fail fast rather than queue: a command is never sent late, after its caller got a 503.
    const connection: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
      connectTimeout: Math.max(1000, timeoutMs),
      retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    };
    this.owned = options.client === undefined;
    // A socket silent for that long while commands wait is dropped and reopened (a silent
    // partition sends no FIN or RST), so what waits on it fails at once instead of piling up.
    const client = options.client ?? new Redis(options.url as string, { ...connection, socketTimeout: Math.max(2000, 4 * timeoutMs) });
    this.redis = withScripts(client);
    // The replica reads on its own connection (it reopens it when a read goes unanswered).
    const tail = client.duplicate({ ...connection, connectionName: `${this.settings.prefix}replica` });
    // Failures surface through the commands (fail closed); the events would only be noise.
    if (this.owned) client.on('error', noop);
    tail.on('error', noop);
    this.replica = new ReplicaEngine(new RedisLogSource(withScripts(tail), this.keys, this.settings), this.settings);
    this.policyChecked = this.checkPolicy();
  }

  async rotate(family: string, current: string, next: string, expiresAt: number): Promise<boolean> {
    const rotated = await this.command(() => this.redis.wardenRotate(this.keys.rotation(family), current, next, exat(expiresAt)), 'rotate');
    return rotated === 1;
  }

  /** Whether "not revoked" is answered from the local replica right now (it is loaded, complete and current). */
  get usingReplica(): boolean {
    return this.replica.serving;
  }

  /**
   * Waits for the start-up check of Redis's `maxmemory-policy` (up to a few seconds: a Redis
   * that does not answer yet leaves the store failing closed until it does), and throws when
   * the policy can evict this store's keys and `evictionCheck` is `'refuse'`.
   */
  async onModuleInit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(3000, 4 * this.settings.timeoutMs));
    });
    await Promise.race([this.policyChecked, waited]);
    clearTimeout(timer);
    if (this.policy instanceof Error) throw this.policy;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.replica.stop();
    if (this.owned) this.redis.disconnect();
  }

  protected async ask(query: RevocationQuery): Promise<boolean> {
    const keys = [
      query.jti === undefined ? undefined : this.keys.entry('jti', query.jti),
      query.family === undefined ? undefined : this.keys.entry('family', query.family),
      query.sub === undefined ? undefined : this.keys.entry('user', query.sub),
    ];
    const present = keys.filter((key): key is string => key !== undefined);
    if (present.length === 0) return false;
    const values = await this.command(() => this.redis.mget(...present), 'isRevoked');
    let index = 0;
    for (const key of keys) {
      if (key === undefined) continue;
      const value = values[index++];
      if (value === null || value === undefined) continue;
      if (key !== keys[2] || cutoffRefuses(decodeCutoff(value), query)) return true;
    }
    return false;
  }

  protected async write(kind: RevocationKind, id: string, expiresAt: number, cutoff: UserCutoff = { cutoff: 0 }): Promise<void> {
    const exp = exat(expiresAt);
    // An expired token is refused as expired: there is nothing to remember.
    if (exp <= Date.now() / 1000) return;
    const { entry, log, seq } = { entry: this.keys.entry(kind, id), log: this.keys.log, seq: this.keys.seq };
    const code = KIND_CODES[kind];
    await this.command(
      () => this.redis.wardenRevoke(entry, log, seq, code, id, exp, encodeCutoff(cutoff), this.settings.streamMaxLength),
      'revoke',
    );
    this.replica.apply(kind, id, exp, cutoff);
  }

  /** One command to Redis: bounded by `timeoutMs`, failing closed; a failure demotes the replica. */
  private async command<T>(operation: () => Promise<T>, name: string): Promise<T> {
    if (this.policy !== 'ok') {
      throw new AuthUnavailableError(
        'The revocation store is not ready',
        this.policy instanceof Error ? { cause: this.policy } : undefined,
      );
    }
    return this.tracked(name, () => bounded(operation(), this.settings.timeoutMs));
  }

  /**
   * Reads `maxmemory-policy` once Redis answers (retrying until then), decides whether the
   * store may run, and starts the replica when it may. Never rejects.
   */
  private async checkPolicy(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      let problem: string;
      try {
        const reply = (await bounded(this.redis.config('GET', 'maxmemory-policy'), this.settings.timeoutMs)) as string[];
        const policy = reply[1];
        if (policy === 'noeviction') {
          this.policy = 'ok';
          break;
        }
        problem =
          policy === undefined
            ? 'Redis did not report its maxmemory-policy'
            : `Redis's maxmemory-policy is '${policy}', which can evict revocation keys (a logged-out token would be accepted again)`;
      } catch (error) {
        const cause = error instanceof AuthUnavailableError ? error.cause : error;
        if (!(cause instanceof Error && cause.name === 'ReplyError')) {
          // Not reachable yet: a refusal would come as a reply.
          await new Promise((resolve) => setTimeout(resolve, Math.min(attempt * 100, 1000)));
          continue;
        }
        problem = `CONFIG GET maxmemory-policy was refused (${cause.message.split(' ')[0]}; CONFIG is disabled on some managed Redis), so it cannot be checked`;
      }
      if (this.settings.evictionCheck === 'warn') {
        new Logger('RedisRevocation').warn(`${problem}. Starting anyway (evictionCheck: 'warn'): make sure the policy is noeviction.`);
        this.policy = 'ok';
      } else {
        this.policy = new Error(
          `RedisRevocation refuses to start: ${problem}. Run Redis with maxmemory-policy noeviction (and appendonly yes), ` +
            "or, if you have made sure keys cannot be evicted, pass evictionCheck: 'warn'.",
        );
      }
      break;
    }
    if (this.policy === 'ok' && !this.closed) this.replica.start();
  }
}

function exat(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt));
}

function noop(): void {}
