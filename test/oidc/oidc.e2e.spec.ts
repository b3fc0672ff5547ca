import { Controller, Get, Module } from '@nestjs/common';
import { importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthContext, AuthModule, JwtAuthentication, type RequestContext } from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { OidcProviderServer, RESOURCE, SERVICE_CLIENT, signingJwk } from './oidc-provider.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const COOLDOWN_MS = 250;
const MAX_AGE_MS = 700;

@Controller()
class ReportsController {
  @Get('reports')
  reports(@AuthContext() context: RequestContext): { userId: string | null; authBackend: string | null; scope: unknown } {
    return { userId: context.userId, authBackend: context.authBackend, scope: context.claims.scope };
  }
}

function appModule(issuer: string): object {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [
          new JwtAuthentication({
            name: 'idp',
            issuer,
            discovery: true,
            audience: RESOURCE,
            algorithms: ['RS256'],
            jwksCooldownMs: COOLDOWN_MS,
            jwksMaxAgeMs: MAX_AGE_MS,
            jwksTimeoutMs: 2000,
          }),
        ],
      }),
    ],
    controllers: [ReportsController],
  })
  class OidcAppModule {}
  return OidcAppModule;
}

/** A token signed with one of the provider's own private keys, with the claims the test chooses. */
async function signedWith(jwk: JWK, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid!, typ: 'at+jwt' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(await importJWK(jwk, 'RS256'));
}

describe.each(ADAPTERS)('OpenID discovery against a real provider, oidc-provider (%s)', (adapter) => {
  const provider = new OidcProviderServer();
  let t: TestApp;
  let first: JWK;
  let second: JWK;
  let issuer: string;

  beforeAll(async () => {
    [first, second] = await Promise.all([signingJwk('key-1'), signingJwk('key-2')]);
    issuer = await provider.start([first]);
    t = await startApp(adapter, { imports: [appModule(issuer) as never] });
  });
  afterAll(async () => {
    await t.close();
    await provider.stop();
  });

  const get = (token: string) => t.http.get('/reports').set('authorization', `Bearer ${token}`);

  it('nothing is fetched at start-up; the first token reads the OpenID configuration, then its jwks_uri, once', async () => {
    expect(provider.hits.get('/.well-known/openid-configuration')).toBeUndefined();
    const token = await provider.clientCredentialsToken();
    for (let i = 0; i < 3; i++) {
      const res = await get(token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: SERVICE_CLIENT.id, authBackend: 'idp', scope: 'reports:read' });
    }
    expect(provider.hits.get('/.well-known/openid-configuration')).toBe(1);
    expect(provider.hits.get('/jwks')).toBe(1);
  });

  it("a user's token from the authorization code flow with PKCE (login and consent pages driven over HTTP)", async () => {
    const token = await provider.authorizationCodeToken('alice');
    const res = await get(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'alice', authBackend: 'idp', scope: 'reports:read' });
  });

  it('refuses what the provider did not issue: another key, another audience, another issuer, no token', async () => {
    const stranger = await signingJwk('key-1'); // the provider's kid, another key
    const forged = await signedWith(stranger, { sub: 'mallory', iss: issuer, aud: RESOURCE });
    let res = await get(forged);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
    res = await get(await signedWith(first, { sub: 'alice', iss: issuer, aud: 'https://other-api.example' }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_claims_invalid');
    res = await get(await signedWith(first, { sub: 'alice', iss: `${issuer}/other`, aud: RESOURCE }));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_invalid');
    res = await t.http.get('/reports');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('credentials_missing');
  });

  it('follows key rotation at the provider: a new key is fetched, a removed key stops verifying (cached tokens too)', async () => {
    const old = await provider.clientCredentialsToken();
    expect((await get(old)).status).toBe(200);

    // The provider adds a key and signs with it.
    provider.rotate([second, first]);
    await sleep(COOLDOWN_MS + 50);
    const fresh = await provider.clientCredentialsToken();
    expect(JSON.parse(Buffer.from(fresh.split('.')[0]!, 'base64url').toString()).kid).toBe('key-2');
    expect((await get(fresh)).status).toBe(200);
    expect((await get(old)).status).toBe(200);

    // It drops the old key: once the key set is older than jwksMaxAgeMs, a request refreshes it.
    provider.rotate([second]);
    await sleep(MAX_AGE_MS + 50);
    expect((await get(fresh)).status).toBe(200); // served from the cache, starts the refresh
    await sleep(200);
    const refused = await get(old);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('token_invalid');
    expect((await get(fresh)).status).toBe(200);
    expect((await get(await provider.authorizationCodeToken('bob'))).body.userId).toBe('bob');
  });

  it('fails closed while the provider is down (503 auth_unavailable, at most one fetch per cooldown), and recovers', async () => {
    const down = new OidcProviderServer();
    const keys = [await signingJwk('key-down')];
    const downIssuer = await down.start(keys);
    const app = await startApp(adapter, { imports: [appModule(downIssuer) as never] });
    try {
      const token = await down.clientCredentialsToken();
      down.mode = 'down';
      const answers = await Promise.all(Array.from({ length: 5 }, () => app.http.get('/reports').set('authorization', `Bearer ${token}`)));
      for (const res of answers) {
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('auth_unavailable');
      }
      expect(down.hits.get('/.well-known/openid-configuration')).toBe(1);
      const again = await app.http.get('/reports').set('authorization', `Bearer ${token}`);
      expect(again.status).toBe(503);
      expect(down.hits.get('/.well-known/openid-configuration')).toBe(1);

      down.mode = 'up';
      await sleep(COOLDOWN_MS + 50);
      const res = await app.http.get('/reports').set('authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.userId).toBe(SERVICE_CLIENT.id);
    } finally {
      await app.close();
      await down.stop();
    }
  });
});
