import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis.js';

const HOW_TO =
  'PostgreSQL is needed for these tests: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test), or install the ' +
  'server binaries (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql) so the tests can start their own.';

/** Where initdb and postgres are looked for: Debian's versioned directories (newest first), then PATH. */
function findBinaries(): { initdb: string; postgres: string } | undefined {
  const dirs: string[] = [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((version) => `/usr/lib/postgresql/${version}/bin`));
  }
  dirs.push('/usr/local/bin', '/usr/bin', '/opt/homebrew/bin');
  for (const dir of dirs) {
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')))
      return { initdb: join(dir, 'initdb'), postgres: join(dir, 'postgres') };
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (which !== '' && existsSync(join(which, '..', 'postgres'))) return { initdb: which, postgres: join(which, '..', 'postgres') };
  return undefined;
}

/**
 * initdb and postgres refuse to run as root: as root, the server runs as the `postgres` user
 * (Debian's package creates it), else as `nobody`.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields !== undefined) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new Error('Running as root, and neither a postgres nor a nobody user exists to run the test server as');
}

/** A PostgreSQL server a test owns: it can kill, restart and pause it to simulate faults. */
export interface OwnedPostgres {
  url: string;
  port: number;
  /** Immediate shutdown (SIGQUIT: no checkpoint, crash recovery on the next start), as a crash. */
  stop(): Promise<void>;
  /** Starts it again on the same port, from the same data directory. */
  start(): Promise<void>;
  /** SIGSTOP to the server and every backend: connections stay open, nothing answers. */
  pause(): void;
  /** SIGCONT to them all. */
  resume(): void;
  /** Stops it and removes its files. */
  remove(): Promise<void>;
}

/** Starts a private PostgreSQL on a free port in a temporary directory (needs the binaries; fails with how to get them). */
export async function startOwnPostgres(): Promise<OwnedPostgres> {
  const binaries = findBinaries();
  if (binaries === undefined) throw new Error(`initdb and postgres were not found. ${HOW_TO}`);
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'warden-pg-'));
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = spawnSync(binaries.initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    encoding: 'utf8',
    ...user,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}. ${HOW_TO}`);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    // fsync off: a test server's data survives its process being killed, not the machine crashing.
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
    ];
    child = spawn(binaries.postgres, args, { stdio: 'ignore', ...user });
    await waitUntilReady(url);
  };
  const processes = (): number[] => {
    const root = child?.pid;
    if (root === undefined) return [];
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === root;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [root, ...children];
  };
  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGQUIT');
    });
  };
  const remove = async (): Promise<void> => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  await start();
  return {
    url,
    port,
    stop,
    start,
    pause: () => processes().forEach((pid) => process.kill(pid, 'SIGSTOP')),
    resume: () => processes().forEach((pid) => process.kill(pid, 'SIGCONT')),
    remove,
  };
}

/**
 * The PostgreSQL URL tests use: DATABASE_URL when set, else a private server started on a free
 * port. Never skips: without either, it throws with instructions.
 */
export async function usePostgres(): Promise<{ url: string; close(): Promise<void> }> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '') {
    await waitUntilReady(fromEnv);
    return { url: fromEnv, close: async () => undefined };
  }
  const own = await startOwnPostgres();
  return { url: own.url, close: own.remove };
}

/** Runs one statement on a connection of its own. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Kills the server-side sessions whose application_name is `name` (pg_terminate_backend); resolves how many. */
export async function terminateSessions(url: string, name: string): Promise<number> {
  const rows = await sql<{ killed: boolean }>(
    url,
    'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  return rows.filter((row) => row.killed).length;
}

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL at ${url} did not answer: ${(error as Error).message}. ${HOW_TO}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
