import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthModule,
  JwtAuthentication,
  Permissions,
  TokenInvalidError,
  type ApiKeyGrant,
  type ApiKeyValidator,
  type AuthenticationBackend,
  type AuthRequest,
  type AuthResult,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';
import { rawRequest } from '../utils/raw-request.js';
import { claims, hs } from '../utils/tokens.js';

const SECRET = 'api-key-suite-secret-of-at-least-32-bytes';
const REPORTING_KEY = 'rk_live_0123456789abcdef0123456789';
const PLAIN_KEY = 'pk_plain_key_without_a_name_0001';
const HASHED_KEY = 'hk_hashed_only_key_0123456789abc';
const STORED_KEY = 'sk_stored_in_the_app_database_01';

/** The application's own key store, reached through an injectable validator. */
@Injectable()
class KeyStore implements ApiKeyValidator {
  validate(key: string): ApiKeyGrant | null {
    return key === STORED_KEY ? { name: 'from-store', permissions: ['store:read'] } : key === 'sk_store_is_down_000000000' ? fail() : null;
  }
}
function fail(): never {
  throw new Error('database unreachable');
}

const apiKeys = new ApiKeyAuthentication({
  keys: { [REPORTING_KEY]: { name: 'reporting', permissions: ['reports:read'] } },
  hashedKeys: { [createHash('sha256').update(HASHED_KEY).digest('hex')]: { name: 'hashed' } },
  validate: KeyStore,
});
const plainKeys = new ApiKeyAuthentication({ keys: [PLAIN_KEY], header: 'authorization', scheme: 'Api-Key' });
const jwt = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });

/** A custom backend: an injectable class with a dependency, registered by class. */
@Injectable()
class WebhookSecrets {
  readonly secret = 'webhook-signing-secret';
}

@Injectable()
class WebhookAuthentication implements AuthenticationBackend {
  readonly name = 'webhook';
  constructor(private readonly secrets: WebhookSecrets) {}
  authenticate(request: AuthRequest): AuthResult | null {
    const header = request.headers['x-signature'];
    if (typeof header !== 'string') return null;
    const expected = Buffer.from(
      `sha256=${createHmac('sha256', this.secrets.secret).update(`${request.method} ${request.url}`).digest('hex')}`,
    );
    const given = Buffer.from(header);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new TokenInvalidError('The webhook signature is invalid');
    return { userId: 'webhook-sender' };
  }
}

@Controller()
class KeyController {
  @Get('who')
  who(@AuthContext() context: RequestContext): Pick<RequestContext, 'userId' | 'authBackend' | 'permissions'> {
    return { userId: context.userId, authBackend: context.authBackend, permissions: context.permissions };
  }

  @Permissions('reports:read')
  @Get('reports')
  reports(): { ok: true } {
    return { ok: true };
  }

  @Auth({ authentication: [apiKeys] })
  @Get('keys-only')
  keysOnly(@AuthContext() context: RequestContext): { backend: string | null } {
    return { backend: context.authBackend };
  }

  @Auth({ authentication: [plainKeys] })
  @Get('scheme')
  scheme(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }

  @Auth({ authentication: [WebhookAuthentication] })
  @Get('webhook')
  webhook(@AuthContext() context: RequestContext): { userId: string | null; backend: string | null } {
    return { userId: context.userId, backend: context.authBackend };
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [jwt, apiKeys] })],
  controllers: [KeyController],
  providers: [KeyStore, WebhookSecrets, WebhookAuthentication],
})
class KeyAppModule {}

describe.each(ADAPTERS)('API keys, several backends, custom backends (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [KeyAppModule] });
  });
  afterAll(() => t.close());
  const key = (value: string) => t.http.get('/who').set('x-api-key', value);

  it('a configured key authenticates with its name and permissions', async () => {
    expect((await key(REPORTING_KEY)).body).toEqual({ userId: 'reporting', authBackend: 'api_key', permissions: ['reports:read'] });
    expect((await key(HASHED_KEY)).body).toEqual({ userId: 'hashed', authBackend: 'api_key', permissions: [] });
    expect((await key(STORED_KEY)).body).toEqual({ userId: 'from-store', authBackend: 'api_key', permissions: ['store:read'] });
  });

  it('a wrong key, or one differing in its last byte, is 401 api_key_invalid and never echoed', async () => {
    for (const wrong of ['nope', `${REPORTING_KEY.slice(0, -1)}X`, 'k'.repeat(5000)]) {
      const res = await key(wrong);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('api_key_invalid');
      expect(JSON.stringify(res.body) + String(res.headers['www-authenticate'])).not.toContain(wrong.slice(0, 12));
    }
  });

  it('a store that fails answers 503 auth_unavailable (fail closed)', async () => {
    const res = await key('sk_store_is_down_000000000');
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
  });

  it('permissions of the key are enforced: 403 without, 200 with', async () => {
    expect((await t.http.get('/reports').set('x-api-key', HASHED_KEY)).body.code).toBe('permission_denied');
    expect((await t.http.get('/reports').set('x-api-key', REPORTING_KEY)).status).toBe(200);
  });

  it('a key sent twice is 400 invalid_request', async () => {
    const res = await rawRequest(t.url, '/who', ['X-API-Key', REPORTING_KEY, 'X-API-Key', REPORTING_KEY]);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
  });

  it('Authorization with a scheme: Api-Key <key>; another scheme passes', async () => {
    expect((await t.http.get('/scheme').set('authorization', `Api-Key ${PLAIN_KEY}`)).body).toEqual({ userId: null });
    expect((await t.http.get('/scheme').set('authorization', `Bearer ${PLAIN_KEY}`)).body.code).toBe('credentials_missing');
  });

  describe('several backends: tried in order, first success wins', () => {
    const token = hs(claims({ sub: 'jwt-user' }), SECRET);

    it('each credential is recognised by its backend', async () => {
      expect((await t.http.get('/who').set('authorization', `Bearer ${token}`)).body.authBackend).toBe('jwt');
      expect((await key(REPORTING_KEY)).body.authBackend).toBe('api_key');
    });

    it('both valid: the first backend in the list wins', async () => {
      const res = await t.http.get('/who').set('authorization', `Bearer ${token}`).set('x-api-key', REPORTING_KEY);
      expect(res.body).toMatchObject({ userId: 'jwt-user', authBackend: 'jwt' });
    });

    it('a bad credential fails the request even when a later backend would succeed', async () => {
      const res = await t.http.get('/who').set('authorization', 'Bearer bad.token.here').set('x-api-key', REPORTING_KEY);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_malformed');
    });

    it('none: 401 credentials_missing', async () => {
      expect((await t.http.get('/who')).body.code).toBe('credentials_missing');
    });

    it('@Auth({ authentication }) replaces the list', async () => {
      expect((await t.http.get('/keys-only').set('authorization', `Bearer ${token}`)).body.code).toBe('credentials_missing');
      expect((await t.http.get('/keys-only').set('x-api-key', REPORTING_KEY)).body).toEqual({ backend: 'api_key' });
    });
  });

  describe('a custom backend registered by class, with an injected dependency', () => {
    const sign = (path: string) => `sha256=${createHmac('sha256', 'webhook-signing-secret').update(`GET ${path}`).digest('hex')}`;
    it('valid signature → 200; wrong → 401 token_invalid; missing → 401 credentials_missing', async () => {
      expect((await t.http.get('/webhook').set('x-signature', sign('/webhook'))).body).toEqual({
        userId: 'webhook-sender',
        backend: 'webhook',
      });
      expect((await t.http.get('/webhook').set('x-signature', sign('/other'))).body.code).toBe('token_invalid');
      expect((await t.http.get('/webhook')).body.code).toBe('credentials_missing');
    });
  });
});

describe('ApiKeyAuthentication configuration', () => {
  it('refuses an empty configuration, short keys and bad digests at start-up', () => {
    expect(() => new ApiKeyAuthentication({})).toThrow(/keys/);
    expect(() => new ApiKeyAuthentication({ keys: ['short'] })).toThrow(/16 characters/);
    expect(() => new ApiKeyAuthentication({ hashedKeys: { abc: {} } })).toThrow(/SHA-256/);
  });
});
