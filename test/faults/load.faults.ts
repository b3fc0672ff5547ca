import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule, JWT_SECRET } from '../../sample/src/app.module.js';
import { configureSample } from '../../sample/src/setup.js';
import { startApp, type TestApp } from '../utils/app.js';
import { claims, hs, now } from '../utils/tokens.js';

const DURATION_S = Number(process.env.LOAD_SECONDS ?? 20);

/** A full garbage collection, so heap readings show what is retained, not what awaits collection. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const retainedHeap = async (): Promise<number> => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

describe('bounded loopback load on the sample: mixed tokens, every answer checked', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('express', { imports: [AppModule] }, async (app) => {
      await configureSample(app);
    });
  });
  afterAll(() => t.close());

  it(
    `${DURATION_S} s, 100 connections: zero 5xx, zero wrong answers, memory back near its baseline`,
    async () => {
      const login = async (): Promise<string> =>
        (await t.http.post('/auth/login').send({ username: 'bob', password: 'bob-password' })).body.access_token as string;
      const valid = await login();
      const revoked = await login();
      await t.http.post('/auth/logout').set('authorization', `Bearer ${revoked}`);
      const expired = hs(claims({ sub: '2', exp: now() - 5 }), JWT_SECRET);
      const expected: Array<[string, number, string | undefined]> = [
        [`Bearer ${valid}`, 200, undefined],
        [`Bearer ${expired}`, 401, 'token_expired'],
        [`Bearer ${revoked}`, 401, 'token_revoked'],
        ['Bearer not.a.token', 401, 'token_malformed'],
      ];
      const wrong: string[] = [];
      let fiveHundreds = 0;
      const baseline = await retainedHeap();
      const result = await autocannon({
        url: `${t.url}/reports`,
        connections: 100,
        duration: DURATION_S,
        requests: expected.map(([authorization, status, code]) => ({
          method: 'GET' as const,
          headers: { authorization },
          onResponse: (got: number, body: string) => {
            if (got >= 500) fiveHundreds++;
            const gotCode = got === 200 ? undefined : (JSON.parse(body) as { code?: string }).code;
            if (got !== status || gotCode !== code) wrong.push(`${authorization.slice(0, 20)}… → ${got} ${gotCode}`);
          },
        })),
      });
      // The load generator runs in this process too: what it and the app still hold after a full GC.
      const grown = (await retainedHeap()) - baseline;
      console.log(
        `load: ${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ` +
          `5xx ${fiveHundreds}, wrong ${wrong.length}, errors ${result.errors}, heap +${Math.round(grown / 1048576)} MiB`,
      );
      expect(result.requests.total).toBeGreaterThan(1000);
      expect(fiveHundreds).toBe(0);
      expect(result.errors).toBe(0);
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(grown).toBeLessThan(32 * 1024 * 1024);
    },
    (DURATION_S + 30) * 1000,
  );
});
