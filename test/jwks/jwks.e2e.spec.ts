import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { asym } from '../utils/tokens.js';

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const mint = (key: SigningKey, kid = key.kid): Promise<string> =>
  new SignJWT({ sub: `user-${kid}` })
    .setProtectedHeader({ alg: key.alg, kid })
    .setIssuer('https://idp.example')
    .setAudience('api')
    .setExpirationTime('10m')
    .sign(key.privateKey);

/** A JWKS endpoint the test controls: what it serves, whether it answers, how often it was asked. */
class JwksServer {
  keys: JWK[] = [];
  mode: 'ok' | 'garbage' | 'hang' = 'ok';
  hits = 0;
  private server: Server = createServer((_req, res) => {
    this.hits++;
    if (this.mode === 'hang') return;
    res.setHeader('content-type', 'application/json');
    res.end(this.mode === 'garbage' ? '{"keys": [nope' : JSON.stringify({ keys: this.keys }));
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

@Controller()
class MeController {
  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }
}

const weakPair = generateKeyPairSync('rsa', { modulusLength: 1024 });

describe.each(ADAPTERS)('JWKS (%s)', (adapter) => {
  let idp: JwksServer;
  let t: TestApp;
  let rs: SigningKey;
  let es: SigningKey;
  let ed: SigningKey;

  beforeAll(async () => {
    [rs, es, ed] = await Promise.all([signingKey('rs-1', 'RS256'), signingKey('es-1', 'ES256'), signingKey('ed-1', 'EdDSA')]);
    idp = new JwksServer();
    const uri = await idp.start();
    // Never usable: a shared secret and a 1024-bit RSA key, even under a matching kid.
    const weak = weakPair.publicKey.export({ format: 'jwk' });
    idp.keys = [
      rs.jwk,
      es.jwk,
      ed.jwk,
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'oct-1' },
      { ...weak, kid: 'weak-1', alg: 'RS256' },
    ];
    @Module({
      imports: [
        AuthModule.forRoot({
          authentication: [
            new JwtAuthentication({
              jwksUri: uri,
              algorithms: ['RS256', 'ES256', 'EdDSA'],
              issuer: 'https://idp.example',
              audience: 'api',
              jwksCooldownMs: 300,
              jwksTimeoutMs: 300,
            }),
          ],
        }),
      ],
      controllers: [MeController],
    })
    class AppModule {}
    t = await startApp(adapter, { imports: [AppModule] });
  });
  afterAll(async () => {
    await t.close();
    await idp.stop();
  });
  beforeEach(async () => {
    idp.mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 320)); // let each test start outside the cooldown
  });

  const get = (token: string) => t.http.get('/me').set('authorization', `Bearer ${token}`);

  it('verifies RS256, ES256 and EdDSA tokens with keys chosen by kid, fetched once', async () => {
    const before = idp.hits;
    for (const key of [rs, es, ed]) {
      const res = await get(await mint(key));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: `user-${key.kid}` });
    }
    expect(idp.hits - before).toBeLessThanOrEqual(1);
  });

  it('an unknown kid refetches once, then 401 token_invalid; a second one inside the cooldown fetches nothing', async () => {
    await get(await mint(rs));
    const before = idp.hits;
    const first = await get(await mint(rs, 'unknown-1'));
    expect(first.status).toBe(401);
    expect(first.body.code).toBe('token_invalid');
    expect(idp.hits - before).toBe(1);
    const second = await get(await mint(rs, 'unknown-2'));
    expect(second.body.code).toBe('token_invalid');
    expect(idp.hits - before).toBe(1);
  });

  it('never uses a shared-secret key or an RSA key under 2048 bits from the set', async () => {
    const body = { sub: 'x', iss: 'https://idp.example', aud: 'api', exp: Math.floor(Date.now() / 1000) + 600 };
    const token = asym(body, weakPair.privateKey, { alg: 'RS256', kid: 'weak-1' }, 'sha256');
    const res = await get(token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('rotates keys without a restart', async () => {
    const next = await signingKey('rs-2', 'RS256');
    idp.keys = [...idp.keys, next.jwk];
    const res = await get(await mint(next));
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe('user-rs-2');
  });

  it('a slow or garbage endpoint: cached keys keep working, an unknown kid fails closed with 503 in bounded time', async () => {
    await get(await mint(es));
    for (const mode of ['hang', 'garbage'] as const) {
      idp.mode = mode;
      await new Promise((resolve) => setTimeout(resolve, 320));
      expect((await get(await mint(es))).status).toBe(200);
      const started = Date.now();
      const res = await get(await mint(es, `unknown-${mode}`));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('auth_unavailable');
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });
});

describe('JWKS configuration is checked at start-up', () => {
  it('refuses plain http off loopback, HS algorithms and mixed key sources', () => {
    expect(() => new JwtAuthentication({ jwksUri: 'http://idp.example/jwks', algorithms: ['RS256'] })).toThrow(/https/);
    expect(() => new JwtAuthentication({ jwksUri: 'https://idp.example/jwks', algorithms: ['HS256'] })).toThrow(/shared secrets/);
    expect(() => new JwtAuthentication({ jwksUri: 'https://idp.example/jwks', secret: 'x'.repeat(32), algorithms: ['RS256'] })).toThrow(
      /not both/,
    );
    expect(() => new JwtAuthentication({ jwksUri: 'https://idp.example/jwks', algorithms: ['RS256'] })).not.toThrow();
  });
});
