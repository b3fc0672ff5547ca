import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, type Type } from '@nestjs/common';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthEvents, AuthModule, JwtAuthentication, type AuthEvent } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

/**
 * A remote key set reports each fetch to the app's events: `jwks.refreshed` with the number of
 * keys, `jwks.failed` with the reason, both timed; one backend object shared by two apps
 * reports to both. Nothing in them is a token.
 */
let privateKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
});

const mint = (kid: string): Promise<string> =>
  new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid }).setExpirationTime('5m').sign(privateKey);

/** Serves `{ keys }`, or a 500 when `failing`. */
async function keySetServer(): Promise<{ url: string; failing: { on: boolean }; close(): Promise<void> }> {
  const failing = { on: false };
  const server: Server = createServer((_req, res) => {
    if (failing.on) {
      res.statusCode = 500;
      res.end('down');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    failing,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

@Controller()
class MeController {
  @Get('me')
  me(): { ok: true } {
    return { ok: true };
  }
}

function appWith(backend: JwtAuthentication): Type {
  @Module({ imports: [AuthModule.forRoot({ authentication: [backend] })], controllers: [MeController] })
  class JwksEventsApp {}
  return JwksEventsApp;
}

describe.each(ADAPTERS)('JWKS events (%s)', (adapter) => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((item) => item.close()));
  });

  const listen = (t: TestApp): AuthEvent[] => {
    const seen: AuthEvent[] = [];
    t.app.get(AuthEvents).subscribe((event) => {
      if (event.type.startsWith('jwks.')) seen.push(event);
    });
    return seen;
  };

  it('jwks.refreshed on a fetch (keys, uri, duration), jwks.failed with the reason while the set cannot be fetched', async () => {
    const idp = await keySetServer();
    open.push(idp);
    const backend = new JwtAuthentication({ jwksUri: idp.url, algorithms: ['ES256'], jwksCooldownMs: 0 });
    const t = await startApp(adapter, { imports: [appWith(backend)] });
    open.push(t);
    const seen = listen(t);

    expect((await t.http.get('/me').set('authorization', `Bearer ${await mint('k1')}`)).status).toBe(200);
    expect(seen).toEqual([{ type: 'jwks.refreshed', uri: idp.url, keys: 1, durationMs: expect.any(Number) }]);

    idp.failing.on = true;
    const unknownKid = await mint('k2');
    expect((await t.http.get('/me').set('authorization', `Bearer ${unknownKid}`)).status).toBe(503);
    expect(seen[1]).toEqual({ type: 'jwks.failed', uri: idp.url, reason: expect.any(String), durationMs: expect.any(Number) });
    expect(JSON.stringify(seen)).not.toContain(unknownKid.split('.')[2]);
  });

  it('one backend object in two apps reports each fetch to both apps', async () => {
    const idp = await keySetServer();
    open.push(idp);
    const backend = new JwtAuthentication({ jwksUri: idp.url, algorithms: ['ES256'] });
    const first = await startApp(adapter, { imports: [appWith(backend)] });
    open.push(first);
    const second = await startApp(adapter, { imports: [appWith(backend)] });
    open.push(second);
    const [a, b] = [listen(first), listen(second)];
    expect((await first.http.get('/me').set('authorization', `Bearer ${await mint('k1')}`)).status).toBe(200);
    expect(a.map((event) => event.type)).toEqual(['jwks.refreshed']);
    expect(b.map((event) => event.type)).toEqual(['jwks.refreshed']);
  });

  it('an app closed no longer hears the key set: one backend object reused by many apps reports to the open ones only', async () => {
    const idp = await keySetServer();
    open.push(idp);
    const backend = new JwtAuthentication({ jwksUri: idp.url, algorithms: ['ES256'], jwksCooldownMs: 0 });
    const closed: AuthEvent[][] = [];
    for (let i = 0; i < 5; i++) {
      const app = await startApp(adapter, { imports: [appWith(backend)] });
      closed.push(listen(app));
      await app.close();
    }
    const live = await startApp(adapter, { imports: [appWith(backend)] });
    open.push(live);
    const seen = listen(live);
    expect((await live.http.get('/me').set('authorization', `Bearer ${await mint('k1')}`)).status).toBe(200);
    // A kid the set does not hold: a second fetch.
    expect((await live.http.get('/me').set('authorization', `Bearer ${await mint('k9')}`)).status).toBe(401);
    expect(seen.map((event) => event.type)).toEqual(['jwks.refreshed', 'jwks.refreshed']);
    expect(closed.flat()).toEqual([]);
  });
});
