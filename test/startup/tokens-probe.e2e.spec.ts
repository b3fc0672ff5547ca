import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Post, type Type } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiKeyAuthentication,
  Auth,
  AuthModule,
  JwtAuthentication,
  Public,
  RevocationStore,
  TokenService,
  type AuthModuleOptions,
  type JwtAuthenticationOptions,
} from '../../src/index.js';
import { TokenSigner } from '../../src/jwt/token-signer.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { bootError } from './boot.js';

/**
 * The `tokens` self-check: at start-up a probe token is signed with TokenService's signer and
 * judged by each JwtAuthentication in use; when none would accept it the app refuses to start.
 */
const SECRET = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwt = (options: Partial<JwtAuthenticationOptions> = {}): JwtAuthentication =>
  new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], ...options });

/** An app with a login route, a route on the module's backends, and one on its own `@Auth()` backend. */
function appWith(options: AuthModuleOptions, own?: JwtAuthentication): Type {
  @Controller()
  class ProbeController {
    constructor(private readonly tokens: TokenService) {}
    @Public() @Post('login') login(): { token: string } {
      return { token: this.tokens.createAccessToken({ id: 7 }) };
    }
    @Get('me') me(): string {
      return 'me';
    }
    @Auth(own === undefined ? {} : { authentication: [own] }) @Get('own') own(): string {
      return 'own';
    }
  }
  @Module({ imports: [AuthModule.forRoot(options)], controllers: [ProbeController] })
  class ProbeApp {}
  return ProbeApp;
}

/** A JWKS endpoint on loopback that counts its requests. */
class KeySetServer {
  requests = 0;
  private readonly server: Server = createServer((_request, response) => {
    this.requests++;
    const jwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
    response.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] }));
  });
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(ADAPTERS)('tokens self-check on %s', (adapter) => {
  let t: TestApp | undefined;
  const keySet = new KeySetServer();
  let jwksUri = '';
  beforeAll(async () => {
    jwksUri = await keySet.start();
  });
  afterAll(() => keySet.close());
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  async function refusal(options: AuthModuleOptions, own?: JwtAuthentication): Promise<string> {
    return (await bootError(adapter, appWith(options, own))).message;
  }

  /** Boots, logs in, and sends the issued token to `path`. */
  async function issuedTokenOn(path: string, options: AuthModuleOptions, own?: JwtAuthentication): Promise<number> {
    t = await startApp(adapter, { imports: [appWith(options, own)] });
    const login = await t.http.post('/login');
    expect(login.status).toBe(201);
    return (await t.http.get(path).set('authorization', `Bearer ${login.body.token}`)).status;
  }

  it('refuses different secrets, naming the backend and the fix', async () => {
    const message = await refusal({ authentication: [jwt({ secret: OTHER })], tokens: { secret: SECRET } });
    expect(message).toContain(
      'no JwtAuthentication in use accepts the tokens TokenService signs (HS256, issuer not set, audience not set)',
    );
    expect(message).toContain('JwtAuthentication in authentication[0]: its `secret` is not tokens.secret: give both the same secret');
  });

  it('refuses an issuer or an audience the backend requires and tokens does not set', async () => {
    expect(await refusal({ authentication: [jwt({ issuer: 'https://auth.example' })], tokens: { secret: SECRET } })).toContain(
      'it requires issuer "https://auth.example", and tokens.issuer is not set: set the same issuer on both',
    );
    expect(
      await refusal({ authentication: [jwt({ audience: ['api', 'web'] })], tokens: { secret: SECRET, audience: 'mobile' } }),
    ).toContain('it requires audience "api", "web", and tokens.audience is "mobile": set a matching audience on both');
  });

  it('refuses an algorithm the backend does not list', async () => {
    expect(await refusal({ authentication: [jwt({ algorithms: ['HS512'] })], tokens: { secret: SECRET } })).toContain(
      'its `algorithms` ["HS512"] do not include "HS256" (tokens.algorithm): add it, or sign with one of them',
    );
  });

  it('refuses a public key that is not the half of tokens.privateKey', async () => {
    const backend = new JwtAuthentication({ publicKey: otherRsa.publicKey, algorithms: ['RS256'] });
    expect(await refusal({ authentication: [backend], tokens: { privateKey: rsa.privateKey, algorithm: 'RS256' } })).toContain(
      'its `publicKey` is not the public half of tokens.privateKey',
    );
  });

  it('lists every refusing backend, module-level and per-handler', async () => {
    const message = await refusal({ authentication: [jwt({ secret: OTHER })], tokens: { secret: SECRET } }, jwt({ issuer: 'https://x' }));
    expect(message).toContain('JwtAuthentication in authentication[0]: its `secret` is not tokens.secret');
    expect(message).toContain('JwtAuthentication in @Auth() on ProbeController.own: it requires issuer "https://x"');
  });

  it('boots a matching configuration (issuer, audience, RS256), and the issued token is accepted', async () => {
    const matching = jwt({ issuer: 'https://auth.example', audience: ['api', 'web'] });
    const tokens = { secret: SECRET, issuer: 'https://auth.example', audience: 'web' };
    expect(await issuedTokenOn('/me', { authentication: [matching], tokens })).toBe(200);
    await t?.close();
    const rs = new JwtAuthentication({ publicKey: rsa.publicKey, algorithms: ['RS256', 'PS256'] });
    expect(await issuedTokenOn('/me', { authentication: [rs], tokens: { privateKey: rsa.privateKey, algorithm: 'RS256' } })).toBe(200);
  });

  it('boots when tokens sets an issuer the backend does not enforce (it accepts the tokens)', async () => {
    expect(await issuedTokenOn('/me', { authentication: [jwt()], tokens: { secret: SECRET, issuer: 'https://auth.example' } })).toBe(200);
  });

  it('boots when a per-handler @Auth() backend accepts the tokens, though the module-level one does not', async () => {
    const options = { authentication: [jwt({ secret: OTHER })], tokens: { secret: SECRET } };
    expect(await issuedTokenOn('/own', options, jwt())).toBe(200);
    const login = await t!.http.post('/login');
    const res = await t!.http.get('/me').set('authorization', `Bearer ${login.body.token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
  });

  it('boots with no JwtAuthentication in use (tokens are meant for another service)', async () => {
    t = await startApp(adapter, {
      imports: [appWith({ authentication: [new ApiKeyAuthentication({ keys: ['k'.repeat(32)] })], tokens: { secret: SECRET } })],
    });
    expect((await t.http.post('/login')).status).toBe(201);
  });

  it('a JWKS backend: boots without fetching the key set at start-up; refuses offline what its algorithms or claims rule out', async () => {
    const before = keySet.requests;
    const remote = new JwtAuthentication({ jwksUri, algorithms: ['RS256'] });
    const tokens = { privateKey: rsa.privateKey, algorithm: 'RS256' as const, keyId: 'k1' };
    t = await startApp(adapter, { imports: [appWith({ authentication: [remote], tokens })] });
    expect(keySet.requests).toBe(before);
    const login = await t.http.post('/login');
    expect((await t.http.get('/me').set('authorization', `Bearer ${login.body.token}`)).status).toBe(200);
    expect(keySet.requests).toBe(before + 1);
    await t.close();
    t = undefined;
    const es = new JwtAuthentication({ jwksUri, algorithms: ['ES256'] });
    expect(await refusal({ authentication: [es], tokens })).toContain('its `algorithms` ["ES256"] do not include "RS256"');
    const idp = new JwtAuthentication({ jwksUri, algorithms: ['RS256'], issuer: 'https://idp.example' });
    expect(await refusal({ authentication: [idp], tokens })).toContain('it requires issuer "https://idp.example"');
    expect(keySet.requests).toBe(before + 1);
  });

  it('a subclass with its own keyFor boots: its lookup is never called at start-up', async () => {
    let lookups = 0;
    class RotatingJwt extends JwtAuthentication {
      protected override keyFor(): KeyObject {
        lookups++;
        return createSecretKey(Buffer.from(SECRET));
      }
    }
    const backend = new RotatingJwt({ secret: OTHER, algorithms: ['HS256'] });
    expect(await issuedTokenOn('/me', { authentication: [backend], tokens: { secret: SECRET } })).toBe(200);
    expect(lookups).toBe(1);
  });

  it('the probe never reaches the revocation store, is not cached, and is born expired', async () => {
    const calls: string[] = [];
    /** A store that never answers (Redis paused): a probe that asked it would hang the boot. */
    class HangingStore extends RevocationStore {
      private hang(name: string): Promise<never> {
        calls.push(name);
        return new Promise<never>(() => undefined);
      }
      revoke = (): Promise<void> => this.hang('revoke');
      revokeFamily = (): Promise<void> => this.hang('revokeFamily');
      revokeAllForUser = (): Promise<void> => this.hang('revokeAllForUser');
      isRevoked = (): Promise<boolean> => this.hang('isRevoked');
      rotate = (): Promise<boolean> => this.hang('rotate');
    }
    const hanging = new HangingStore();
    const sign = vi.spyOn(TokenSigner.prototype, 'sign');
    const backend = jwt();
    t = await startApp(adapter, { imports: [appWith({ authentication: [backend], tokens: { secret: SECRET }, revocation: hanging })] });
    expect(calls).toEqual([]);
    expect(backend.cachedTokens).toBe(0);
    expect(sign).toHaveBeenCalledTimes(1);
    const probe = sign.mock.results[0]!.value as string;
    const res = await t.http.get('/me').set('authorization', `Bearer ${probe}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_expired');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });
});
