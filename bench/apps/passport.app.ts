import { Injectable, Module, SetMetadata, type ExecutionContext, type Type } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Fixtures } from '../fixtures.js';
import { HelloController } from './hello.controller.js';

const IS_PUBLIC_KEY = 'isPublic';
/** The docs' `@Public()` (unused here, but part of the recipe's guard). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The official recipe, as the NestJS "Authentication" docs write it: passport-jwt with a
 * string secret, a global `JwtAuthGuard` that honours `@Public()`.
 */
export function createModule(fixtures: Fixtures): Type {
  @Injectable()
  class JwtStrategy extends PassportStrategy(Strategy) {
    constructor() {
      super({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), ignoreExpiration: false, secretOrKey: fixtures.secret });
    }

    validate(payload: { sub: string; username?: string }): { userId: string; username?: string } {
      return { userId: payload.sub, username: payload.username };
    }
  }

  @Injectable()
  class JwtAuthGuard extends AuthGuard('jwt') {
    constructor(private readonly reflector: Reflector) {
      super();
    }

    override canActivate(context: ExecutionContext): ReturnType<InstanceType<ReturnType<typeof AuthGuard>>['canActivate']> {
      const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
      if (isPublic) return true;
      return super.canActivate(context);
    }
  }

  @Module({
    imports: [PassportModule],
    controllers: [HelloController],
    providers: [JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }],
  })
  class PassportRecipeModule {}
  return PassportRecipeModule;
}
