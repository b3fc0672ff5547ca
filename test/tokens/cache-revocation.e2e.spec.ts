import { CACHE_MANAGER, CacheModule, type Cache } from '@nestjs/cache-manager';
import { Controller, Get, Module } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthContext,
  AuthModule,
  CacheRevocation,
  JwtAuthentication,
  RevocationStore,
  TokenService,
  type RequestContext,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

const SECRET = 'cache-revocation-secret-at-least-32-bytes';

@Controller()
class MeController {
  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }
}

@Module({
  imports: [
    CacheModule.register({ isGlobal: true }),
    AuthModule.forRootAsync({
      inject: [CACHE_MANAGER],
      useFactory: (cache: Cache) => ({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
        tokens: { secret: SECRET },
        revocation: new CacheRevocation(cache),
      }),
    }),
  ],
  controllers: [MeController],
})
class CacheAppModule {}

describe.each(ADAPTERS)('CacheRevocation on @nestjs/cache-manager (%s)', (adapter) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(adapter, { imports: [CacheAppModule] });
  });
  afterAll(() => t.close());

  it('is the module store; revocations, reuse detection and cut-offs go through the cache', async () => {
    expect(t.app.get(RevocationStore)).toBeInstanceOf(CacheRevocation);
    const tokens = t.app.get(TokenService);
    const pair = tokens.createTokenPair({ id: 'c1' });
    expect((await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`)).status).toBe(200);
    await tokens.refresh(pair.refresh_token);
    await expect(tokens.refresh(pair.refresh_token)).rejects.toMatchObject({ code: 'token_reused' });
    const res = await t.http.get('/me').set('authorization', `Bearer ${pair.access_token}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_revoked');
    const cache = t.app.get<Cache>(CACHE_MANAGER);
    expect(await cache.get(`warden:fam:${JSON.parse(Buffer.from(pair.access_token.split('.')[1]!, 'base64url').toString()).fam}`)).toBe(1);
  });

  it('a cache that throws fails closed with 503', async () => {
    const broken = new CacheRevocation({ get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')) });
    await expect(broken.isRevoked({ jti: 'x' })).rejects.toMatchObject({ code: 'auth_unavailable' });
  });
});
