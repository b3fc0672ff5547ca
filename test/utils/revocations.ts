import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { RedisRevocation, type RedisRevocationOptions } from '../../src/redis/index.js';

/**
 * Writes `count` jti revocations (`<tag>-<i>`, expiring at `exp`) fast: the keys, 100,000 per
 * script, then one log entry for the last one, numbered as if every key had its own. Readers see
 * the jump in numbers as a log trimmed past them and reload: how a million revocations land in
 * seconds while following the store's protocol (keys and log numbers, src/redis/redis-scripts.ts).
 */
export async function populate(url: string, prefix: string, options: { tag: string; count: number; exp: number }): Promise<void> {
  const redis = new Redis(url);
  redis.on('error', () => undefined);
  const exp = Math.ceil(options.exp);
  try {
    const chunk = 100_000;
    for (let from = 0; from < options.count - 1; from += chunk) {
      const to = Math.min(options.count - 1, from + chunk) - 1;
      await redis.eval(
        `for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
           redis.call('SET', ARGV[4] .. 'rev:j:' .. ARGV[3] .. '-' .. i, '1', 'EXAT', ARGV[5])
         end
         return redis.call('INCRBY', ARGV[4] .. 'seq', tonumber(ARGV[2]) - tonumber(ARGV[1]) + 1)`,
        0,
        from,
        to,
        options.tag,
        prefix,
        exp,
      );
    }
    const last = `${options.tag}-${options.count - 1}`;
    await redis.eval(
      `redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[2])
       local seq = redis.call('INCR', KEYS[3])
       redis.call('XADD', KEYS[2], 'MAXLEN', '~', 100000, '*', 'k', 'j', 'i', ARGV[1], 'e', ARGV[2], 'c', 0, 's', seq)
       return seq`,
      3,
      `${prefix}rev:j:${last}`,
      `${prefix}log`,
      `${prefix}seq`,
      last,
      exp,
    );
  } finally {
    redis.disconnect();
  }
}

/** Polls `predicate` every 10 ms until it holds, or fails after `ms`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, ms: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Stores a test creates, started (as Nest would) and closed together. */
export class StorePool {
  private readonly stores: RedisRevocation[] = [];

  /** A store, after its start-up check (`onModuleInit`). */
  async open(options: RedisRevocationOptions): Promise<RedisRevocation> {
    const store = new RedisRevocation(options);
    this.stores.push(store);
    await store.onModuleInit?.();
    return store;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.stores.splice(0).map((store) => store.onModuleDestroy()));
  }
}

/** What `isRevoked` answered: `true`, `false`, or 503 (`unavailable`). */
export async function answerOf(
  store: Pick<RedisRevocation, 'isRevoked'>,
  query: Parameters<RedisRevocation['isRevoked']>[0],
): Promise<boolean | 'unavailable'> {
  try {
    return await store.isRevoked(query);
  } catch (error) {
    if ((error as { code?: string }).code === 'auth_unavailable') return 'unavailable';
    throw error;
  }
}

/** Counts unhandled rejections from now on (the store's clients must cause none). */
export function countUnhandledRejections(): { readonly count: number; readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return {
    get count() {
      return reasons.length;
    },
    reasons,
    stop: () => process.off('unhandledRejection', listener),
  };
}

/** The heap this process retains after a full garbage collection. */
export async function retainedHeap(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
