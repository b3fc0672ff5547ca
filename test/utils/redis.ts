import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const HOW_TO =
  'Redis is needed for these tests: set REDIS_URL (e.g. redis://127.0.0.1:6379), or install redis-server ' +
  '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) so the tests can start their own.';

/** A Redis server a test owns: it can stop and restart it to simulate faults. */
export interface OwnedRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown, no final save. */
  stop(): Promise<void>;
  /** Starts it again on the same port (and, with `appendonly`, from the same files). */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  remove(): Promise<void>;
}

/** How a test's own redis-server runs. */
export interface OwnRedisOptions {
  /** Persistence as the docs ask for it: `appendonly yes`, `appendfsync always`, in a temporary directory. */
  appendonly?: boolean;
  /** Further `redis-server` arguments, e.g. `['--maxmemory-policy', 'volatile-lru']`. */
  args?: string[];
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The major version of the installed redis-server (`Redis server v=7.0.15 ...`). */
function redisMajorVersion(): number {
  const output = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return Number(/v=(\d+)\./.exec(output)?.[1] ?? 0);
}

/** Starts a private redis-server on a free port (needs the binary; fails with how to get it). */
export async function startOwnRedis(options: OwnRedisOptions = {}): Promise<OwnedRedis> {
  if (!hasRedisServer()) throw new Error(`redis-server was not found. ${HOW_TO}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  // Only a persistent server needs a directory of its own (and leaves one to remove).
  const dir = options.appendonly === true ? mkdtempSync(join(tmpdir(), 'warden-redis-')) : undefined;
  const persistence = dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  const start = async (): Promise<void> => {
    // `DEBUG SLEEP` (a fault the tests inject) is off by default since Redis 7; 6 has no such switch.
    const debug = redisMajorVersion() >= 7 ? ['--enable-debug-command', 'local'] : [];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...debug, ...(options.args ?? [])];
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitUntilReady(url);
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  const remove = async (): Promise<void> => {
    await stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  await start();
  return { url, port, stop, start, remove };
}

/**
 * The Redis URL tests use: REDIS_URL when set, else a private redis-server started on a
 * free port. Never skips: without either, it throws with instructions.
 */
export async function useRedis(): Promise<{ url: string; close(): Promise<void> }> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    await waitUntilReady(fromEnv);
    return { url: fromEnv, close: async () => undefined };
  }
  const own = await startOwnRedis();
  return { url: own.url, close: own.remove };
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer: ${(error as Error).message}. ${HOW_TO}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
