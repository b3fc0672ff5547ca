import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

const COOLDOWN_MS = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A provider the test controls: what its discovery document says, and where its keys are. */
class FakeProvider {
  issuer = '';
  port = 0;
  /** The discovery document served, or a behaviour. */
  document: (() => unknown) | 'huge' | 'garbage' | 'redirect' | 'hang' = () => ({});
  keys: JWK[] = [];
  hits = { discovery: 0, jwks: 0 };
  private readonly server: Server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      this.hits.discovery++;
      const document = this.document;
      if (document === 'hang') return;
      if (document === 'redirect') {
        res.writeHead(302, { location: `http://localhost:${this.port}/.well-known/openid-configuration` });
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      if (document === 'garbage') return res.end('{"issuer": nope');
      // A megabyte and more, streamed without Content-Length: the reader must stop at the cap.
      if (document === 'huge') {
        res.write(`{"issuer": ${JSON.stringify(this.issuer)}, "padding": "`);
        for (let i = 0; i < 20; i++) res.write('x'.repeat(64 * 1024));
        return res.end('"}');
      }
      return res.end(JSON.stringify(document()));
    }
    if (req.url === '/keys') {
      this.hits.jwks++;
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ keys: this.keys }));
    }
    res.statusCode = 404;
    res.end();
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.issuer = `http://127.0.0.1:${this.port}`;
    return this.issuer;
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

describe.each(ADAPTERS)('OpenID discovery under attack (%s)', (adapter) => {
  const idp = new FakeProvider();
  let t: TestApp;
  let privateKey: CryptoKey;
  let jwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    const issuer = await idp.start();
    idp.keys = [jwk];
    @Module({
      imports: [
        AuthModule.forRoot({
          authentication: [
            new JwtAuthentication({
              issuer,
              discovery: true,
              algorithms: ['ES256'],
              jwksCooldownMs: COOLDOWN_MS,
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
  beforeEach(() => sleep(COOLDOWN_MS + 20)); // each test starts outside the cooldown of the last failure

  const token = () =>
    new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(idp.issuer)
      .setExpirationTime('5m')
      .sign(privateKey);
  const get = async () => t.http.get('/me').set('authorization', `Bearer ${await token()}`);
  const expectUnavailable = async () => {
    const res = await get();
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
    expect(res.text).not.toMatch(/issuer|jwks|127\.0\.0\.1/i); // the cause stays on the server
  };

  it.each([
    ['names another issuer', () => ({ issuer: 'http://127.0.0.1:1', jwks_uri: `${idp.issuer}/keys` })],
    ['names the issuer with a trailing slash', () => ({ issuer: `${idp.issuer}/`, jwks_uri: `${idp.issuer}/keys` })],
    ['has no issuer', () => ({ jwks_uri: `${idp.issuer}/keys` })],
    ['has no jwks_uri', () => ({ issuer: idp.issuer })],
    ['has a jwks_uri that is not a URL', () => ({ issuer: idp.issuer, jwks_uri: 'keys' })],
    ['has a jwks_uri on plain http off loopback', () => ({ issuer: idp.issuer, jwks_uri: 'http://keys.example/keys' })],
    ['has a non-string jwks_uri', () => ({ issuer: idp.issuer, jwks_uri: [`${idp.issuer}/keys`] })],
    ['is an array', () => [{ issuer: idp.issuer, jwks_uri: `${idp.issuer}/keys` }]],
  ])('a document that %s: 503 auth_unavailable, its keys never fetched', async (_, document) => {
    idp.document = document;
    const before = idp.hits.jwks;
    await expectUnavailable();
    expect(idp.hits.jwks).toBe(before);
  });

  it.each(['huge', 'garbage', 'redirect', 'hang'] as const)(
    'a %s document: 503 auth_unavailable, nothing followed or buffered',
    async (kind) => {
      idp.document = kind;
      await expectUnavailable();
    },
  );

  it('after a failure, at most one discovery per cooldown; then the right document is followed', async () => {
    idp.document = () => ({ issuer: 'http://127.0.0.1:1', jwks_uri: `${idp.issuer}/keys` });
    const before = idp.hits.discovery;
    await expectUnavailable();
    await expectUnavailable();
    await expectUnavailable();
    expect(idp.hits.discovery - before).toBe(1);
    idp.document = () => ({ issuer: idp.issuer, jwks_uri: `http://localhost:${idp.port}/keys` });
    await sleep(COOLDOWN_MS + 20);
    // jwks_uri on another host (localhost, not 127.0.0.1) is followed: the issuer's document is authoritative.
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'alice' });
  });
});

describe('OpenID discovery: start-up refusals', () => {
  it.each([
    [{ discovery: true }, /`discovery` needs `issuer`/],
    [{ discovery: true, issuer: ['https://a.example', 'https://b.example'] }, /`discovery` needs `issuer`/],
    [{ discovery: true, issuer: 'http://idp.example' }, /`issuer` must use https:/],
    [{ discovery: true, issuer: 'not a url' }, /`issuer` is not a URL/],
    [{ discovery: true, issuer: 'https://idp.example', jwksUri: 'https://idp.example/keys' }, /either `discovery`.*or `jwksUri`/],
    [{ discovery: true, issuer: 'https://idp.example', secret: 'x'.repeat(32) }, /either `discovery` or `secret`/],
    [{ discovery: 'yes', issuer: 'https://idp.example' }, /`discovery` must be true or false/],
  ])('%j', (options, message) => {
    expect(() => new JwtAuthentication({ algorithms: ['RS256'], ...(options as object) })).toThrow(message);
  });

  it('HS algorithms are never verified with discovered keys', () => {
    expect(() => new JwtAuthentication({ algorithms: ['HS256'], issuer: 'https://idp.example', discovery: true })).toThrow(
      /HS256 cannot be verified with a JWKS/,
    );
  });
});
