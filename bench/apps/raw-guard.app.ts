import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { Injectable, Module, UnauthorizedException, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { BenchAlgorithm, Fixtures } from '../fixtures.js';
import { HelloController } from './hello.controller.js';

/** The signature check of one algorithm with a prepared key: what node:crypto allows at best. */
function signatureCheck(alg: BenchAlgorithm, fixtures: Fixtures): (input: string, signature: Buffer) => boolean {
  if (alg === 'HS256') {
    const key = createSecretKey(Buffer.from(fixtures.secret));
    return (input, signature) => {
      const expected = createHmac('sha256', key).update(input).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    };
  }
  const key: KeyObject = createPublicKey(fixtures.publicKeys[alg]);
  if (alg === 'ES256') return (input, signature) => verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
  return (input, signature) => verify(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), key, signature);
}

/**
 * The reference floor: a hand-written global guard on node:crypto with the key prepared
 * once (one algorithm, `exp` checked, nothing else, no cache). What any Nest guard costs at least.
 */
export function createModule(fixtures: Fixtures, alg: BenchAlgorithm = 'HS256'): Type {
  const check = signatureCheck(alg, fixtures);

  @Injectable()
  class RawJwtGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
      const header = request.headers.authorization;
      if (header === undefined || !header.startsWith('Bearer ')) throw new UnauthorizedException();
      const token = header.slice(7);
      const second = token.lastIndexOf('.');
      if (!check(token.slice(0, second), Buffer.from(token.slice(second + 1), 'base64url'))) throw new UnauthorizedException();
      const payload = JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, second), 'base64url').toString()) as { exp: number };
      if (!(payload.exp > Date.now() / 1000)) throw new UnauthorizedException();
      request.user = payload;
      return true;
    }
  }

  @Module({ controllers: [HelloController], providers: [{ provide: APP_GUARD, useClass: RawJwtGuard }] })
  class RawGuardModule {}
  return RawGuardModule;
}
