import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const children = new Set<ChildProcess>();

/** Kills every child still running (servers, load generators, Redis). Idempotent. */
export function killAll(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** Children never outlive the driver: killed on exit, on error and on SIGINT/SIGTERM. */
export function installCleanup(): void {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.stderr.write(`\nbench: ${signal}, children killed\n`);
      process.exit(130);
    });
  }
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Forks one of the bench's compiled scripts (bench/dist/<file>) with an IPC channel. */
export function forkScript(file: string, execArgv: string[] = []): ChildProcess {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  return track(fork(path, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }));
}

/** Sends a message and waits for the first reply `accept` takes, or fails after `timeoutMs`. */
export function ask<T>(child: ChildProcess, message: unknown, accept: (reply: unknown) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (reply: unknown): void => {
      const value = accept(reply);
      if (value !== undefined) finish(undefined, value);
    };
    const onExit = (code: number | null): void => finish(new Error(`child exited (code ${code})`));
    function finish(error: Error | undefined, value?: T): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error === undefined) resolve(value as T);
      else reject(error);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message as object);
  });
}

/** Asks a child to stop (so `--cpu-prof` can write its profile), then kills it if it lingers. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
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

/** REDIS_URL, or a private redis-server on a free port (killed with the other children). */
export async function startRedis(): Promise<string> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const port = await freePort();
  const child = track(
    spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`redis-server could not start (${error.message}); set REDIS_URL or install it`)));
    const deadline = Date.now() + 10_000;
    const probe = (): void => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error('redis-server did not start within 10 s'));
        else setTimeout(probe, 100);
      });
    };
    probe();
  });
  return `redis://127.0.0.1:${port}`;
}
