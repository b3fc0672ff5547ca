import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** A long-lived token (ten years): only the key set can end it. */
const mint = (key: SigningKey, sub = 'user'): Promise<string> =>
  new SignJWT({ sub }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setExpirationTime('3650d').sign(key.privateKey);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A JWKS endpoint: serves `keys`, fails with 500, or streams a body of `hugeBytes`; counts fetches and bytes sent. */
class JwksServer {
  keys: JWK[] = [];
  mode: 'ok' | 'fail' | 'huge' = 'ok';
  hugeBytes = 400 * 1024 * 1024;
  declareLength = false;
  hits = 0;
  sent = 0;
  closedEarly = 0;
  private server: Server = createServer((_req, res) => {
    this.hits++;
    if (this.mode === 'fail') {
      res.statusCode = 500;
      res.end('down');
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (this.mode === 'ok') {
      res.end(JSON.stringify({ keys: this.keys }));
      return;
    }
    if (this.declareLength) res.setHeader('content-length', String(this.hugeBytes));
    // 400 MB of whitespace inside a JSON document, written only as fast as the client reads it.
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.write('{"keys":[');
    let left = this.hugeBytes;
    const pump = (): void => {
      while (left > 0) {
        left -= chunk.length;
        this.sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(']}');
    };
    res.on('close', () => {
      if (left > 0) this.closedEarly++;
    });
    pump();
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
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

async function appFor(adapter: (typeof ADAPTERS)[number], uri: string, timing: { cooldownMs: number; maxAgeMs: number }): Promise<TestApp> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [
          new JwtAuthentication({
            jwksUri: uri,
            algorithms: ['ES256'],
            jwksCooldownMs: timing.cooldownMs,
            jwksMaxAgeMs: timing.maxAgeMs,
            jwksTimeoutMs: 5000,
          }),
        ],
      }),
    ],
    controllers: [MeController],
  })
  class AppModule {}
  return startApp(adapter, { imports: [AppModule] });
}

describe.each(ADAPTERS)('JWKS limits (%s)', (adapter) => {
  let idp: JwksServer;
  let uri: string;
  let kept: SigningKey;
  let removed: SigningKey;
  beforeAll(async () => {
    [kept, removed] = await Promise.all([signingKey('kept'), signingKey('removed')]);
    idp = new JwksServer();
    uri = await idp.start();
  });
  afterAll(() => idp.stop());

  it('a key removed from the set: its cached tokens are refused once the set is refreshed; tokens of kept keys still pass', async () => {
    idp.mode = 'ok';
    idp.keys = [kept.jwk, removed.jwk];
    const t = await appFor(adapter, uri, { cooldownMs: 100, maxAgeMs: 300 });
    try {
      const old = await mint(removed, 'old');
      const fine = await mint(kept, 'fine');
      for (let i = 0; i < 3; i++) expect((await t.http.get('/me').set('authorization', `Bearer ${old}`)).status).toBe(200);
      expect((await t.http.get('/me').set('authorization', `Bearer ${fine}`)).status).toBe(200);
      idp.keys = [kept.jwk];
      const before = idp.hits;
      await sleep(350);
      // This request finds the set stale and refreshes it in the background.
      await t.http.get('/me').set('authorization', `Bearer ${fine}`);
      for (let i = 0; i < 50 && idp.hits === before; i++) await sleep(20);
      await sleep(50);
      const res = await t.http.get('/me').set('authorization', `Bearer ${old}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
      expect((await t.http.get('/me').set('authorization', `Bearer ${fine}`)).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('a set that never loaded: failed fetches respect the cooldown (1 fetch for 60 requests), each request 503', async () => {
    idp.mode = 'fail';
    const t = await appFor(adapter, uri, { cooldownMs: 30_000, maxAgeMs: 600_000 });
    try {
      const token = await mint(kept);
      const before = idp.hits;
      const answers = [];
      for (let i = 0; i < 60; i++) answers.push(await t.http.get('/me').set('authorization', `Bearer ${token}`));
      expect(idp.hits - before).toBe(1);
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('auth_unavailable');
      }
    } finally {
      await t.close();
    }
  });

  it.each([false, true])(
    'a 400 MB body (Content-Length declared: %s) is refused without buffering: the connection dropped early, RSS bounded',
    async (declared) => {
      idp.mode = 'huge';
      idp.declareLength = declared;
      idp.sent = 0;
      idp.closedEarly = 0;
      const t = await appFor(adapter, uri, { cooldownMs: 100, maxAgeMs: 600_000 });
      try {
        const rss = process.memoryUsage().rss;
        const res = await t.http.get('/me').set('authorization', `Bearer ${await mint(kept)}`);
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('auth_unavailable');
        for (let i = 0; i < 50 && idp.closedEarly === 0; i++) await sleep(20);
        expect(idp.closedEarly).toBe(1);
        // What was written before the client hung up: the limit plus socket buffers, not 400 MB.
        expect(idp.sent).toBeLessThan(16 * 1024 * 1024);
        expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
      } finally {
        await t.close();
      }
    },
  );
});
