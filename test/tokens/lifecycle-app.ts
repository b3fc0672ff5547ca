import { Body, Controller, Get, Headers, HttpCode, Module, Post, type Type } from '@nestjs/common';
import {
  Auth,
  AuthContext,
  AuthModule,
  IsFresh,
  JwtAuthentication,
  Public,
  TokenService,
  type RequestContext,
  type RevocationStore,
  type TokenPair,
} from '../../src/index.js';

export const SECRET = 'lifecycle-secret-that-is-at-least-32-bytes';

@Controller('auth')
class LifecycleController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: { id: string }): TokenPair {
    return this.tokens.createTokenPair({ id: body.id, username: `user-${body.id}` });
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: { refresh_token: string }): Promise<TokenPair> {
    return this.tokens.refresh(body.refresh_token);
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Headers('authorization') authorization: string): Promise<{ ok: true }> {
    await this.tokens.revoke(authorization.slice('Bearer '.length), { family: true });
    return { ok: true };
  }

  @Post('logout-all')
  @HttpCode(200)
  async logoutAll(@AuthContext() context: RequestContext): Promise<{ ok: true }> {
    await this.tokens.revokeAllForUser(context.userId!);
    return { ok: true };
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null; fresh: unknown } {
    return { userId: context.userId, fresh: context.claims.fresh };
  }

  @Auth({ guards: [IsFresh()] })
  @Post('change-password')
  @HttpCode(200)
  changePassword(): { ok: true } {
    return { ok: true };
  }
}

export function lifecycleModule(revocation: () => RevocationStore): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
        tokens: { secret: SECRET },
        revocation: revocation(),
      }),
    ],
    controllers: [LifecycleController],
  })
  class LifecycleModule {}
  return LifecycleModule;
}
