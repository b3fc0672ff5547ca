import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthContextService, type AuthRequest } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { claims, hs } from '../utils/tokens.js';
import { contextApp } from './context-storage-app.js';
import { SECRET } from './core-app.js';

/**
 * `AuthContextService` reads the request the global guard entered into its
 * `AsyncLocalStorage`: on by default, with nothing detected. It must hold for whatever a handler
 * returns (Promise, deferred and delayed Observables, SSE, a stream under backpressure), in
 * exception filters, for each of many concurrent users, and never show code that runs before
 * the guard the previous request of the same keep-alive connection.
 */
const tokenFor = (sub: string): string => hs(claims({ sub }), SECRET);

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's local port: the same value means the same (kept-alive) connection. */
  port: number | undefined;
}

/** A plain GET that keeps the whole body as text (SSE and streams included). */
function get(base: string, path: string, sub?: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = sub === undefined ? {} : { authorization: `Bearer ${tokenFor(sub)}` };
    const req = httpRequest(`${base}${path}`, { headers, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), port: res.socket?.localPort }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const json = (answer: Answer): unknown => JSON.parse(answer.body);

describe.each(ADAPTERS)('AuthContextService on %s', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const start = async (options = {}): Promise<TestApp> => (t = await startApp(adapter, { imports: [contextApp(options)] }));

  it.each(['promise', 'defer', 'delay', 'chain', 'dynamic'])('reads the user in a handler that returns /ctx/%s', async (route) => {
    const { url } = await start();
    const answer = await get(url, `/ctx/${route}`, 'alice');
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ userId: 'alice' });
    expect(answer.headers['x-seen-before-guard']).toBe('none');
  });

  it('gives the request object @Req() gives', async () => {
    const { url } = await start();
    const answer = await get(url, '/ctx/same-request', 'alice');
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ same: true });
  });

  it('reads the user in every event of an @Sse() stream', async () => {
    const { url } = await start();
    const answer = await get(url, '/ctx/sse', 'alice');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = answer.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)) as unknown);
    expect(events).toEqual([0, 1, 2].map((i) => ({ i, userId: 'alice' })));
  });

  it('reads the user in every chunk of a StreamableFile, across backpressure', async () => {
    const { url } = await start();
    const answer = await get(url, '/ctx/stream', 'alice');
    expect(answer.status).toBe(200);
    const seen = answer.body
      .trimEnd()
      .split('\n')
      .map((line) => line.split(' ').slice(0, 3));
    expect(seen.map(([i, userId]) => `${i} ${userId}`)).toEqual(Array.from({ length: 40 }, (_, i) => `${i} alice`));
    // Backpressure happened: later lines were produced after the response had drained.
    expect(Number(seen.at(-1)![2])).toBeGreaterThan(0);
  });

  it('reads the user in an exception filter', async () => {
    const { url } = await start();
    const answer = await get(url, '/ctx/throws', 'alice');
    expect(answer.status).toBe(500);
    expect(json(answer)).toEqual({ userId: 'alice', filter: true });
  });

  it('reads null on a @Public() route and outside any request', async () => {
    const { url, app } = await start();
    const answer = await get(url, '/ctx/public', 'alice');
    expect(answer.status).toBe(200);
    expect(json(answer)).toEqual({ userId: null });
    const service = app.get(AuthContextService);
    expect(service.userId).toBeNull();
    expect(service.request).toBeUndefined();
    expect(service.run({ context: { userId: 'job', authBackend: 'jwt' } } as AuthRequest, () => service.userId)).toBe('job');
  });

  it('200 concurrent users, over shared keep-alive connections, each read only their own user', async () => {
    const { url } = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const routes = ['promise', 'defer', 'delay', 'chain', 'throws'];
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => get(url, `/ctx/${routes[i % routes.length]}`, `user-${i}`, agent)),
      );
      const wrong = answers.flatMap((answer, i) => {
        const expected = routes[i % routes.length] === 'throws' ? { userId: `user-${i}`, filter: true } : { userId: `user-${i}` };
        const ok = JSON.stringify(json(answer)) === JSON.stringify(expected) && answer.headers['x-seen-before-guard'] === 'none';
        return ok ? [] : [{ i, status: answer.status, body: answer.body, before: answer.headers['x-seen-before-guard'] }];
      });
      expect(wrong).toEqual([]);
      // The connections were shared: each carried several users one after the other.
      expect(new Set(answers.map((answer) => answer.port)).size).toBeLessThanOrEqual(8);
    } finally {
      agent.destroy();
    }
  });

  it("never shows code that runs before the guard the previous request's user on a keep-alive connection", async () => {
    const { url } = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await get(url, '/ctx/promise', 'alice', agent);
      const second = await get(url, '/ctx/public', undefined, agent);
      const third = await get(url, '/ctx/defer', 'bob', agent);
      expect(new Set([first.port, second.port, third.port]).size).toBe(1);
      expect([first, second, third].map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect([first, second, third].map((answer) => answer.headers['x-seen-before-guard'])).toEqual(['none', 'none', 'none']);
      expect([first, second, third].map(json)).toEqual([{ userId: 'alice' }, { userId: null }, { userId: 'bob' }]);
    } finally {
      agent.destroy();
    }
  });

  it('contextStorage: false: routes still answer, and reading the service throws a TypeError naming the option', async () => {
    const { url, app } = await start({ contextStorage: false });
    const plain = await get(url, '/plain', 'alice');
    expect(plain.status).toBe(200);
    expect(json(plain)).toEqual({ ok: true });
    expect((await get(url, '/plain')).status).toBe(401);
    // The middleware of /ctx reads the service: a programming error, answered 500.
    expect((await get(url, '/ctx/public')).status).toBe(500);
    const service = app.get(AuthContextService);
    expect(() => service.userId).toThrow(TypeError);
    expect(() => service.userId).toThrow(/`contextStorage: false`/);
    expect(() => service.run({} as AuthRequest, () => 1)).toThrow(/`contextStorage: false`/);
    await expect(service.getUser()).rejects.toThrow(/`contextStorage: false`/);
  });

  it('refuses a contextStorage that is not a boolean', async () => {
    await expect(startApp(adapter, { imports: [contextApp({ contextStorage: 'yes' as unknown as boolean })] })).rejects.toThrow(
      /`contextStorage` must be true, false, or left out/,
    );
  });
});
