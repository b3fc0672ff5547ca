import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

/** What the client received, and whether its connection ended, and how. */
function client(port: number): { socket: Socket; received: () => string; ended: () => string | undefined } {
  const socket = createConnection({ port, host: '127.0.0.1' });
  let received = '';
  let ended: string | undefined;
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', (error: NodeJS.ErrnoException) => (ended = error.code ?? 'error'));
  socket.on('close', () => (ended ??= 'closed'));
  return { socket, received: () => received, ended: () => ended };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy (the fault suites rely on it)', () => {
  let echo: Server;
  let proxy: FaultProxy;
  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
    const address = echo.address();
    proxy = await FaultProxy.start(typeof address === 'object' && address !== null ? address.port : 0);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
  });

  it('pass forwards; blackhole holds bytes both ways without closing anything; pass lets them through', async () => {
    const c = client(proxy.port);
    c.socket.write('one');
    await sleep(100);
    expect(c.received()).toBe('one');
    proxy.blackhole();
    c.socket.write('two');
    await sleep(400);
    expect(c.received()).toBe('one');
    expect(c.ended()).toBeUndefined();
    // A connection opened during the partition is accepted but goes nowhere.
    const late = client(proxy.port);
    late.socket.write('late');
    await sleep(200);
    expect(late.received()).toBe('');
    proxy.pass();
    await sleep(200);
    expect(c.received()).toBe('onetwo');
    expect(late.received()).toBe('late');
    c.socket.destroy();
    late.socket.destroy();
  });

  it('delay holds every chunk for the given time, in order', async () => {
    const c = client(proxy.port);
    await sleep(50);
    proxy.delay(150);
    const started = Date.now();
    c.socket.write('a');
    c.socket.write('b');
    while (c.received() !== 'ab' && Date.now() - started < 2000) await sleep(5);
    expect(c.received()).toBe('ab');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    proxy.pass();
    c.socket.destroy();
  });

  it('reset drops every connection with an RST', async () => {
    const c = client(proxy.port);
    c.socket.write('x');
    await sleep(100);
    expect(proxy.upstreamPorts().length).toBeGreaterThan(0);
    proxy.reset();
    await sleep(100);
    expect(c.ended()).toBe('ECONNRESET');
  });
});
