import { Body, Controller, Get, HttpCode, Module, Post, type ExecutionContext, type Type } from '@nestjs/common';
import {
  AllowAny,
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthModule,
  CurrentUser,
  IsAuthenticated,
  JwtAuthentication,
  Permissions,
  Public,
  TokenService,
  type AuthModuleOptions,
  type AuthRequest,
  type AuthUser,
  type Guard,
  type RequestContext,
  type TokenPair,
} from '../../src/index.js';

export const SECRET = 'permissions-from-user-secret-of-32-bytes!!';
export const API_KEY = 'reports-key-0123456789';
export const BARE_KEY = 'bare-key-0123456789abc';

/**
 * The app's users, changed by the tests between requests, and every loader call. A user id
 * names a failure: `throws` makes the loader throw; an id not in the map loads `null`.
 */
export class Users {
  readonly byId = new Map<string, unknown>();
  readonly calls: string[] = [];

  load(context: RequestContext): unknown {
    const id = String(context.userId);
    this.calls.push(id);
    if (id === 'throws') throw new Error('database down');
    return this.byId.get(id) ?? null;
  }
}

/** A custom guard that reads `context.permissions` itself (not a built-in permission guard). */
class CanExport implements Guard {
  canActivate(executionContext: ExecutionContext): boolean {
    return executionContext.switchToHttp().getRequest<AuthRequest>().context?.permissions.includes('reports:export') === true;
  }
}

@Controller()
class PermissionsController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: { user: AuthUser }): TokenPair {
    return this.tokens.createTokenPair(body.user);
  }

  @Public()
  @Post('access')
  @HttpCode(200)
  access(@Body() body: { user: AuthUser }): { token: string } {
    return { token: this.tokens.createAccessToken(body.user) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: { refresh_token: string }): Promise<TokenPair> {
    return this.tokens.refresh(body.refresh_token);
  }

  @Get('me')
  me(@AuthContext() context: RequestContext): { permissions: string[]; authBackend: string | null } {
    return { permissions: context.permissions, authBackend: context.authBackend };
  }

  @Permissions('reports:read')
  @Get('reports')
  reports(@AuthContext() context: RequestContext): { permissions: string[] } {
    return { permissions: context.permissions };
  }

  @Permissions('reports:read')
  @Get('reports/mine')
  async mine(@CurrentUser() user: unknown, @AuthContext() context: RequestContext): Promise<{ user: unknown; permissions: string[] }> {
    return { user, permissions: context.permissions };
  }

  @Auth({ guards: [IsAuthenticated(), new CanExport()] })
  @Get('export')
  export(): { exported: true } {
    return { exported: true };
  }

  @Auth({ guards: [AllowAny()] })
  @Get('open')
  open(@AuthContext() context: RequestContext): { permissions: string[] } {
    return { permissions: context.permissions };
  }
}

/** A JWT + API key app whose permissions come from `permissionsFrom` (the module default when omitted). */
export function permissionsModule(users: Users, permissionsFrom?: AuthModuleOptions['permissionsFrom']): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [
          new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] }),
          new ApiKeyAuthentication({
            keys: { [API_KEY]: { name: 'reporter', permissions: ['reports:read'] }, [BARE_KEY]: { name: 'bare' } },
          }),
        ],
        userLoader: (context: RequestContext) => users.load(context),
        tokens: { secret: SECRET },
        ...(permissionsFrom === undefined ? {} : { permissionsFrom }),
      }),
    ],
    controllers: [PermissionsController],
  })
  class PermissionsModule {}
  return PermissionsModule;
}
