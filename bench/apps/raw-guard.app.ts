import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { Injectable, Module, UnauthorizedException, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Fixtures } from '../fixtures.js';
import { HelloController } from './hello.controller.js';

/**
 * The reference floor: a hand-written global guard on node:crypto with the key prepared
 * once (HS256 only, `exp` checked, nothing else). What any Nest guard costs at least.
 */
export function createModule(fixtures: Fixtures): Type {
  const key = createSecretKey(Buffer.from(fixtures.secret));

  @Injectable()
  class RawJwtGuard implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
      const header = request.headers.authorization;
      if (header === undefined || !header.startsWith('Bearer ')) throw new UnauthorizedException();
      const token = header.slice(7);
      const second = token.lastIndexOf('.');
      const expected = createHmac('sha256', key).update(token.slice(0, second)).digest();
      const signature = Buffer.from(token.slice(second + 1), 'base64url');
      if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) throw new UnauthorizedException();
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
