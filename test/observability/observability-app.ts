import { Body, Controller, Get, HttpCode, Module, Post, Req, Res, type DynamicModule, type ModuleMetadata } from '@nestjs/common';
import {
  ApiKeyAuthentication,
  AuthContext,
  CurrentUser,
  AuthModule,
  JwtAuthentication,
  Permissions,
  Public,
  TokenService,
  type AuthModuleOptions,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
  type TokenPair,
} from '../../src/index.js';

/** The credentials this app accepts: every observability test scans logs and events for them. */
export const SECRET = 'observability-secret-at-least-32-bytes!';
export const API_KEY = 'obs-api-key-0123456789abcdef';
export const PASSWORD = 'correct horse battery staple';

/** A small app as a user writes one: a password login, refresh, logout, logout-all, revoke, and two protected routes. */
@Controller()
export class ObservedController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: { username?: string; password?: string }, @Res({ passthrough: true }) response: CookieResponse): TokenPair {
    if (body.password !== PASSWORD) throw new Error('bad password');
    const pair = this.tokens.createTokenPair({ id: body.username ?? 'u1', username: body.username ?? 'u1' });
    this.tokens.setAuthCookies(response, pair);
    return pair;
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
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: boolean }> {
    return { ok: await this.tokens.logout(request, response) };
  }

  @Post('logout-all')
  @HttpCode(200)
  async logoutAll(@AuthContext() context: RequestContext): Promise<{ ok: true }> {
    await this.tokens.revokeAllForUser(context.userId!);
    return { ok: true };
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(@Body() body: { token: string }): Promise<{ ok: true }> {
    await this.tokens.revoke(body.token, { family: true });
    return { ok: true };
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { userId: string | null; backend: string | null } {
    return { userId: context.userId, backend: context.authBackend };
  }

  @Get('profile')
  profile(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }

  @Permissions('admin')
  @Get('admin')
  admin(): { ok: true } {
    return { ok: true };
  }
}

/** The module under test; `extra` overrides options (a revocation store, a user loader). */
export function observedModule(extra: Partial<AuthModuleOptions> = {}, imports: DynamicModule[] = []): ModuleMetadata {
  @Module({
    imports: [
      ...imports,
      AuthModule.forRoot({
        authentication: [
          new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'], cookie: 'access_token' }),
          new ApiKeyAuthentication({ keys: { [API_KEY]: { name: 'ci', permissions: ['admin'] } } }),
        ],
        tokens: { secret: SECRET, cookies: { secure: false } },
        ...extra,
      }),
    ],
    controllers: [ObservedController],
  })
  class ObservedModule {}
  return { imports: [ObservedModule] };
}
