import { Body, Controller, Get, HttpCode, Module, Post, Req, Res, type Type } from '@nestjs/common';
import {
  Auth,
  AuthContext,
  AuthModule,
  IsAdmin,
  JwtAuthentication,
  Permissions,
  Public,
  TokenService,
  type AuthRequest,
  type AuthUser,
  type CookieResponse,
  type RequestContext,
  type RevocationStore,
  type TokenPair,
} from '../../src/index.js';

export const SECRET = 'identity-secret-that-is-at-least-32-bytes!';

/** The app's users, changed by the tests between login and refresh. `null`: deleted or disabled. */
export class Users {
  readonly byId = new Map<string, AuthUser | null>();
}

@Controller('auth')
class IdentityController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: { id: string; extraClaims?: Record<string, unknown> }): TokenPair {
    return this.tokens.createTokenPair({ id: body.id, username: `user-${body.id}` }, { extraClaims: body.extraClaims });
  }

  @Public()
  @Post('cookie-login')
  @HttpCode(200)
  cookieLogin(@Body() body: { id: string }, @Res({ passthrough: true }) response: CookieResponse): { ok: true } {
    this.tokens.setAuthCookies(response, this.tokens.createTokenPair({ id: body.id }));
    return { ok: true };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: { refresh_token: string }): Promise<TokenPair> {
    return this.tokens.refresh(body.refresh_token);
  }

  @Public()
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ended: boolean }> {
    return { ended: await this.tokens.logout(request, response) };
  }

  @Post('logout-all')
  @HttpCode(200)
  async logoutAll(@AuthContext() context: RequestContext, @Body() body: { others?: boolean }): Promise<{ ok: true }> {
    const family = context.claims.fam as string;
    await this.tokens.revokeAllForUser(context.userId!, body?.others === true ? { except: family } : {});
    return { ok: true };
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null; claims: Record<string, unknown> } {
    return { userId: context.userId, claims: context.claims };
  }

  @Auth({ guards: [IsAdmin()] })
  @Get('admin')
  admin(): { admin: true } {
    return { admin: true };
  }

  @Permissions('reports:read')
  @Get('reports')
  reports(): { reports: true } {
    return { reports: true };
  }
}

/** An app with a userLoader reading `users` (or none), the given store and token options. */
export function identityModule(
  revocation: () => RevocationStore,
  options: { users?: Users; maxSessionAge?: number; accessTtl?: number } = {},
): Type<unknown> {
  const { users } = options;
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cookie: 'access_token' })],
        ...(users === undefined ? {} : { userLoader: (context: RequestContext) => users.byId.get(context.userId ?? '') ?? null }),
        tokens: {
          secret: SECRET,
          cookies: { secure: false, refreshPath: '/auth' },
          ...(options.maxSessionAge === undefined ? {} : { maxSessionAge: options.maxSessionAge }),
          ...(options.accessTtl === undefined ? {} : { accessTtl: options.accessTtl }),
        },
        revocation: revocation(),
      }),
    ],
    controllers: [IdentityController],
  })
  class IdentityModule {}
  return IdentityModule;
}
