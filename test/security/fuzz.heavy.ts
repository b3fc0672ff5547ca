import { createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthentication, AuthError, JwtAuthentication, type AuthRequest } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { CorpusAppModule } from './corpus-app.js';
import { HS_SECRET, OTHER_SECRET } from './corpus-keys.js';

const RUNS = 10_000;
const backend = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], cacheSize: 0 });
const key = createSecretKey(Buffer.from(HS_SECRET));
const request = (authorization: string): AuthRequest => ({
  headers: { authorization },
  rawHeaders: ['Authorization', authorization],
  method: 'GET',
  url: '/',
});

/** nestjs-warden's decision: 'accept', or the AuthError code. Anything else (a would-be 500) throws. */
function decide(authorization: string): string {
  try {
    const result = backend.authenticate(request(authorization));
    if (result instanceof Promise) throw new Error('unexpected async path');
    return result === null ? 'pass' : 'accept';
  } catch (error) {
    if (error instanceof AuthError) return error.code;
    throw error;
  }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const stats = { disagreements: 0, accepted: 0, rejected: 0 };

describe('differential fuzzing against jose', () => {
  const heapBefore = process.memoryUsage().heapUsed;

  it(`random Authorization headers never cause anything but a coded refusal (${RUNS} runs)`, () => {
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc
        .tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'Bearer\t', 'Basic ', ''), fc.string({ maxLength: 300 }))
        .map(([a, b]) => a + b),
      fc
        .array(fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.='.split('')), maxLength: 40 }), { maxLength: 6 })
        .map((parts) => `Bearer ${parts.join('.')}`),
    );
    fc.assert(
      fc.property(header, (value) => {
        expect(decide(value)).not.toBe('accept');
      }),
      { numRuns: RUNS },
    );
  });

  it(`random headers and claims, signed with the right or a wrong key: same decision as jose (${RUNS} runs)`, async () => {
    const offset = (sign: 1 | -1) => fc.integer({ min: 5, max: 100_000 }).map((seconds) => now() + sign * seconds);
    const exp = fc.oneof(
      { weight: 6, arbitrary: offset(1) },
      offset(-1),
      fc.constant(undefined),
      fc.constantFrom('soon', null, true, [1], {}),
    );
    const before = fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 3, arbitrary: offset(-1) },
      offset(1),
      fc.constantFrom('x', null),
    );
    const claimsArb = fc.record(
      {
        sub: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)),
        exp,
        nbf: before,
        iat: before,
        iss: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
        jti: fc.oneof(fc.uuid(), fc.integer()),
        extra: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['exp'] },
    );
    const headerArb = fc.record(
      {
        alg: fc.oneof(
          { weight: 8, arbitrary: fc.constant('HS256') },
          fc.constantFrom('HS384', 'none', 'RS256', 'hs256', 'HS256 '),
          fc.string({ maxLength: 6 }),
          fc.integer(),
        ),
        typ: fc.constantFrom('JWT', 'at+jwt', 'x'),
        kid: fc.string({ maxLength: 8 }),
      },
      { requiredKeys: ['alg'] },
    );
    const bodyArb = fc.oneof(
      { weight: 8, arbitrary: claimsArb.map((value) => JSON.stringify(value)) },
      fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
    );
    await fc.assert(
      fc.asyncProperty(headerArb, bodyArb, fc.boolean(), async (header, body, rightKey) => {
        const input = `${b64(JSON.stringify(header))}.${b64(body)}`;
        const token = `${input}.${createHmac('sha256', rightKey ? HS_SECRET : OTHER_SECRET)
          .update(input)
          .digest('base64url')}`;
        const ours = decide(`Bearer ${token}`) === 'accept';
        const theirs = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp'] }).then(
          () => true,
          () => false,
        );
        if (ours) stats.accepted++;
        else stats.rejected++;
        if (ours !== theirs) stats.disagreements++;
        expect({ token, ours }).toEqual({ token, ours: theirs });
      }),
      { numRuns: RUNS },
    );
    expect(stats.accepted).toBeGreaterThan(100);
    console.log(`differential: ${stats.accepted} accepted, ${stats.rejected} rejected by both, ${stats.disagreements} disagreements`);
  });

  it(`no one-character mutation of a valid token is accepted unless it decodes to the same bytes (${RUNS} runs)`, () => {
    const input = `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify({ sub: 'fuzz', exp: now() + 3600 }))}`;
    const token = `${input}.${createHmac('sha256', HS_SECRET).update(input).digest('base64url')}`;
    expect(decide(`Bearer ${token}`)).toBe('accept');
    const decoded = (t: string): string[] => t.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex'));
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (index, replacement) => {
        const mutated = token.slice(0, index) + replacement + token.slice(index + 1);
        fc.pre(mutated !== token);
        if (decide(`Bearer ${mutated}`) === 'accept') expect(decoded(mutated)).toEqual(decoded(token));
      }),
      { numRuns: RUNS },
    );
  });

  it(`random API keys are never accepted; only the configured one is (${RUNS} runs)`, () => {
    const configured = 'fuzz-configured-key-0123456789';
    const keys = new ApiKeyAuthentication({ keys: { [configured]: { name: 'fuzz' } } });
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (candidate) => {
        fc.pre(candidate !== configured);
        try {
          const result = keys.authenticate({
            headers: { 'x-api-key': candidate },
            rawHeaders: ['X-API-Key', candidate],
            method: 'GET',
            url: '/',
          });
          expect(result).toBeNull();
        } catch (error) {
          expect(error).toBeInstanceOf(AuthError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('memory stays bounded over the run', () => {
    globalThis.gc?.();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });
});

describe.each(ADAPTERS)('fuzzing through HTTP (%s): never a 500', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [CorpusAppModule] });
  });
  afterAll(() => t.close());

  it('300 random Authorization headers and cookies', async () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcdefABCDEF0123456789-_.=+/ ,;"\\'.split('')), maxLength: 120 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/hs', '/rs', '/es', '/ed', '/claims'), printable, printable, async (path, auth, cookie) => {
        const res = await t.http.get(path).set('authorization', `Bearer ${auth}`.trim()).set('cookie', cookie);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});
