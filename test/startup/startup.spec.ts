import { generateKeyPairSync } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AuthModule, IsAdmin, JwtAuthentication, TokenService, type AuthModuleOptions } from '../../src/index.js';
import { startApp } from '../utils/app.js';

const SECRET = 'x'.repeat(32);

@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

async function boot(options: () => AuthModuleOptions): Promise<void> {
  @Module({ imports: [AuthModule.forRoot(options())], controllers: [PingController] })
  class AppModule {}
  const t = await startApp('express', { imports: [AppModule] });
  await t.close();
}

describe('start-up validation: a misconfigured app refuses to start and says what to fix', () => {
  it('no backend', async () => {
    await expect(boot(() => ({ authentication: [] }))).rejects.toThrow(/`authentication` needs at least one backend/);
  });

  it('an HS secret shorter than 32 bytes', () => {
    expect(() => new JwtAuthentication({ secret: 'short', algorithms: ['HS256'] })).toThrow(/5 bytes; it must be at least 32 bytes/);
  });

  it('algorithm none, in any casing', () => {
    for (const alg of ['none', 'None', 'NONE']) {
      expect(() => new JwtAuthentication({ secret: SECRET, algorithms: [alg as 'HS256'] })).toThrow(/unsigned tokens are never accepted/);
    }
  });

  it('no algorithms at all', () => {
    expect(() => new JwtAuthentication({ secret: SECRET } as never)).toThrow(/`algorithms` is required/);
  });

  it('an algorithm with no matching key', () => {
    expect(() => new JwtAuthentication({ secret: SECRET, algorithms: ['HS256', 'RS256'] })).toThrow(/RS256 has no key: give `publicKey`/);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => new JwtAuthentication({ publicKey, algorithms: ['HS256'] })).toThrow(/HS256 has no key: give `secret`/);
  });

  it('a key of the wrong type or size for the algorithm', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    expect(() => new JwtAuthentication({ publicKey: p384, algorithms: ['ES256'] })).toThrow(/ES256 needs curve prime256v1/);
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => new JwtAuthentication({ publicKey: rsa1024, algorithms: ['RS256'] })).toThrow(/at least 2048 bits/);
    const ed = generateKeyPairSync('ed25519').publicKey;
    expect(() => new JwtAuthentication({ publicKey: ed, algorithms: ['RS256'] })).toThrow(/needs an RSA key/);
    expect(() => new JwtAuthentication({ publicKey: 'not a pem', algorithms: ['RS256'] })).toThrow(/could not be read/);
  });

  it('a guard that was not called, or a bad userLoader', async () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });
    await expect(boot(() => ({ authentication: [backend], guards: [IsAdmin as never] }))).rejects.toThrow(/call the factory/);
    await expect(boot(() => ({ authentication: [backend], userLoader: 'users' as never }))).rejects.toThrow(/userLoader/);
  });

  it('a short tokens secret', async () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });
    await expect(boot(() => ({ authentication: [backend], tokens: { secret: 'short' } }))).rejects.toThrow(/at least 32 bytes/);
  });

  it('TokenService without `tokens` boots, and its methods say what to configure', async () => {
    const backend = new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] });
    @Module({ imports: [AuthModule.forRoot({ authentication: [backend] })], controllers: [PingController] })
    class AppModule {}
    const t = await startApp('express', { imports: [AppModule] });
    try {
      const tokens = t.app.get(TokenService);
      expect(() => tokens.createAccessToken({ id: 1 })).toThrow(TypeError);
      expect(() => tokens.createAccessToken({ id: 1 })).toThrow(/configure `tokens`/);
    } finally {
      await t.close();
    }
  });
});
