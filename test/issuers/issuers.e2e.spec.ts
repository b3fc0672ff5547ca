import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AllowAny,
  ApiKeyAuthentication,
  applySwaggerAuth,
  Auth,
  AuthContext,
  AuthModule,
  JwtAuthentication,
  Public,
  SessionAuthentication,
  type OpenApiDocumentLike,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type AdapterName, type TestApp } from '../utils/app.js';
import { bootError } from '../startup/boot.js';
import { asym, claims, hs, now } from '../utils/tokens.js';

const A = 'https://a.example';
const B = 'https://b.example/realms/main';
const LOCAL_SECRET = 'local-secret-local-secret-local-secret!';
const API_KEY = 'key-key-key-key-key-key';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A token signed by `jose` (another implementation), as each issuer would sign it. */
function joseToken(key: KeyObject, alg: 'RS256' | 'ES256', payload: Record<string, unknown>, expiresIn = '10m'): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt();
  return (payload.exp === undefined ? jwt.setExpirationTime(expiresIn) : jwt).sign(key);
}
const tokenOfA = (extra: Record<string, unknown> = {}) =>
  joseToken(rsa.privateKey, 'RS256', { sub: 'alice', iss: A, aud: 'api', ...extra });
const tokenOfB = (extra: Record<string, unknown> = {}) => joseToken(ec.privateKey, 'ES256', { sub: 'bob', iss: B, aud: 'api', ...extra });

const issuerA = () =>
  new JwtAuthentication({ name: 'issuer-a', issuer: A, audience: 'api', publicKey: rsa.publicKey, algorithms: ['RS256'] });
const issuerB = () =>
  new JwtAuthentication({ name: 'issuer-b', issuer: B, audience: 'api', publicKey: ec.publicKey, algorithms: ['ES256'] });

@Controller()
class MeController {
  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null; authBackend: string | null } {
    return { userId: context.userId, authBackend: context.authBackend };
  }

  @Get('optional')
  @Auth({ guards: [AllowAny()] })
  optional(@AuthContext() context: RequestContext): { authBackend: string | null } {
    return { authBackend: context.authBackend };
  }

  @Get('only-b')
  @Auth({ authentication: [issuerB()] })
  onlyB(@AuthContext() context: RequestContext): { authBackend: string | null } {
    return { authBackend: context.authBackend };
  }

  @Get('open')
  @Public()
  open(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [
        issuerA(),
        issuerB(),
        // No `issuer`: takes what the two before passed on, verified with its own key.
        new JwtAuthentication({ secret: LOCAL_SECRET, algorithms: ['HS256'] }),
        new ApiKeyAuthentication({ name: 'partners', keys: [API_KEY] }),
      ],
    }),
  ],
  controllers: [MeController],
})
class IssuersModule {}

@Module({
  imports: [AuthModule.forRoot({ authentication: [issuerA(), issuerB()] })],
  controllers: [MeController],
})
class TwoIssuersModule {}

describe.each(ADAPTERS)('several issuers side by side (%s)', (adapter) => {
  let t: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    [t, two] = await Promise.all([startApp(adapter, { imports: [IssuersModule] }), startApp(adapter, { imports: [TwoIssuersModule] })]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), two.close()]);
  });

  const get = (app: TestApp, token: string, path = '/me') => app.http.get(path).set('authorization', `Bearer ${token}`);
  const expectRefused = (res: { status: number; body: { code?: string }; headers: Record<string, string> }, code = 'token_invalid') => {
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(code);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
  };

  it('each backend takes only its issuer: A by the first, B by the second, whatever the order or the algorithm', async () => {
    for (let round = 0; round < 2; round++) {
      // The second round is served from each backend's verified-token cache.
      const a = await tokenOfA();
      const b = await tokenOfB();
      for (const [token, expected] of [
        [a, { userId: 'alice', authBackend: 'issuer-a' }],
        [b, { userId: 'bob', authBackend: 'issuer-b' }],
        [b, { userId: 'bob', authBackend: 'issuer-b' }],
        [a, { userId: 'alice', authBackend: 'issuer-a' }],
      ] as const) {
        const res = await get(t, token);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(expected);
      }
    }
  });

  it("a token without `iss` goes to the backend that names no issuer; the other issuers' backends never refuse it", async () => {
    const res = await get(t, hs(claims({ sub: 'local' }), LOCAL_SECRET));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'local', authBackend: 'jwt' });
  });

  it("B's `iss` signed with A's key is refused by B's key (401 token_invalid), never accepted by A", async () => {
    const forged = await joseToken(rsa.privateKey, 'RS256', { sub: 'mallory', iss: B, aud: 'api' });
    expectRefused(await get(t, forged));
    expectRefused(await get(two, forged));
    // And the reverse: A's `iss` under B's key.
    expectRefused(await get(two, await joseToken(ec.privateKey, 'ES256', { sub: 'mallory', iss: A, aud: 'api' })));
  });

  it.each([
    ['missing', undefined],
    ['a number', 42],
    ['an array holding a configured issuer', [A]],
    ['an object', { iss: A }],
    ['null', null],
    ['an unknown issuer', 'https://evil.example'],
    ['a configured issuer with a trailing slash', `${A}/`],
    ['a configured issuer in another case', A.toUpperCase()],
  ])('`iss` %s, validly signed by A: no backend claims it, 401 token_invalid', async (_, iss) => {
    const token = await joseToken(rsa.privateKey, 'RS256', { sub: 'alice', aud: 'api', ...(iss === undefined ? {} : { iss }) });
    expectRefused(await get(two, token));
  });

  it('a token no backend claims is a bad credential, not a missing one: refused on an AllowAny route too', async () => {
    const stranger = await joseToken(rsa.privateKey, 'RS256', { sub: 'alice', iss: 'https://evil.example', aud: 'api' });
    expectRefused(await get(two, stranger, '/optional'));
    const anonymous = await two.http.get('/optional');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ authBackend: null });
    expect((await get(two, stranger, '/open')).status).toBe(200);
  });

  it('a token passed on by the JWT backends, next to a valid API key, is still refused (the key does not launder it)', async () => {
    const stranger = await joseToken(rsa.privateKey, 'RS256', { sub: 'alice', iss: 'https://evil.example', aud: 'api' });
    const withKey = await get(two, stranger).set('x-api-key', API_KEY);
    expectRefused(withKey);
    // On the app with the catch-all HS256 backend, the stranger is that backend's: refused by its key.
    expectRefused(await get(t, stranger));
    const keyOnly = await t.http.get('/me').set('x-api-key', API_KEY);
    expect(keyOnly.status).toBe(200);
    expect(keyOnly.body.authBackend).toBe('partners');
  });

  it("B's failures are B's: expired, wrong audience, bad signature (after the signature, in the documented order)", async () => {
    expectRefused(await get(t, await tokenOfB({ exp: now() - 10 })), 'token_expired');
    expectRefused(await get(t, await tokenOfB({ aud: 'other' })), 'token_claims_invalid');
    const b = await tokenOfB();
    expectRefused(await get(t, `${b.slice(0, -4)}AAAA`));
    // A malformed token with a configured `iss` is malformed, as before.
    expectRefused(
      await get(t, `${b.split('.')[0]}.${Buffer.from(JSON.stringify({ iss: B })).toString('base64url')}.!!`),
      'token_malformed',
    );
  });

  it('a per-handler backend list routes the same way: A is refused on a B-only route, B accepted', async () => {
    expectRefused(await get(t, await tokenOfA(), '/only-b'));
    const res = await get(t, await tokenOfB(), '/only-b');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ authBackend: 'issuer-b' });
  });

  it('a single backend with `issuer` refuses a validly signed token of another issuer with token_invalid (no key for it)', async () => {
    const token = asym({ sub: 'x', iss: 'https://evil.example', aud: 'api', exp: now() + 60 }, ec.privateKey, { alg: 'ES256' }, 'sha256', {
      dsaEncoding: 'ieee-p1363',
    });
    expectRefused(await get(t, token, '/only-b'));
  });
});

describe.each(ADAPTERS)('backend names (%s)', (adapter) => {
  it('two backends with the same name refuse to start, naming the fix', async () => {
    @Module({
      imports: [
        AuthModule.forRoot({
          authentication: [
            new JwtAuthentication({ issuer: A, publicKey: rsa.publicKey, algorithms: ['RS256'] }),
            new JwtAuthentication({ issuer: B, publicKey: ec.publicKey, algorithms: ['ES256'] }),
          ],
        }),
      ],
      controllers: [MeController],
    })
    class SameNames {}
    const error = await bootError(adapter, SameNames);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/AuthModule: two backends are named "jwt": give each a distinct `name`/);
  });

  it('the same in one @Auth() list, and an API key and a session under one name', async () => {
    @Controller()
    class Twice {
      @Get('x')
      @Auth({ authentication: [issuerA(), issuerA()] })
      x(): void {}
    }
    @Module({ imports: [AuthModule.forRoot({ authentication: [issuerB()] })], controllers: [Twice] })
    class TwiceModule {}
    expect((await bootError(adapter, TwiceModule)).message).toMatch(/@Auth\(\) on Twice\.x: two backends are named "issuer-a"/);

    @Module({
      imports: [
        AuthModule.forRoot({
          authentication: [new ApiKeyAuthentication({ name: 'edge', keys: [API_KEY] }), new SessionAuthentication({ name: 'edge' })],
          userLoader: () => null,
        }),
      ],
      controllers: [MeController],
    })
    class Mixed {}
    expect((await bootError(adapter, Mixed)).message).toMatch(/two backends are named "edge"/);
  });

  it('a bad name is a TypeError at construction', () => {
    for (const name of ['', 'has space', 'quote"', 'x'.repeat(65), 42]) {
      expect(() => new JwtAuthentication({ name: name as string, secret: LOCAL_SECRET, algorithms: ['HS256'] })).toThrow(TypeError);
      expect(() => new ApiKeyAuthentication({ name: name as string, keys: [API_KEY] })).toThrow(/`name` must be/);
      expect(() => new SessionAuthentication({ name: name as string })).toThrow(/`name` must be/);
    }
  });

  it('names are the OpenAPI security schemes: one per issuer, each operation offers both', async () => {
    const options = { logger: false as const, abortOnError: false };
    const create = (name: AdapterName) =>
      name === 'express'
        ? NestFactory.create(TwoIssuersModule, new ExpressAdapter(), options)
        : NestFactory.create(TwoIssuersModule, new FastifyAdapter(), options);
    const app = await create(adapter);
    try {
      const paths = { '/me': { get: {} }, '/only-b': { get: {} }, '/open': { get: {} } };
      const document = applySwaggerAuth(app, { paths } as OpenApiDocumentLike);
      expect(document.components?.securitySchemes).toEqual({
        'issuer-a': { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        'issuer-b': { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      });
      const operations = document.paths as Record<string, { get: { security?: unknown } }>;
      expect(operations['/me']!.get.security).toEqual([{ 'issuer-a': [] }, { 'issuer-b': [] }]);
      expect(operations['/only-b']!.get.security).toEqual([{ 'issuer-b': [] }]);
      expect(operations['/open']!.get.security).toEqual([]);
    } finally {
      await app.close();
    }
  });
});
