import { Controller, Get, Injectable, Module, Post, Req, type Type } from '@nestjs/common';
import {
  AllowAny,
  Auth,
  AuthContext,
  AuthContextService,
  AuthModule,
  CurrentUser,
  IsAdmin,
  IsStaff,
  HasAnyPermission,
  JwtAuthentication,
  Permissions,
  Public,
  TokenService,
  type AuthRequest,
  type RequestContext,
} from '../../src/index.js';

export const SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const OTHER_SECRET = 'another-secret-that-is-at-least-32-bytes!!';

export interface LoaderLog {
  calls: string[];
}

@Injectable()
export class WhoAmI {
  constructor(private readonly auth: AuthContextService) {}
  async describe(): Promise<{ userId: string | null; user: unknown }> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { userId: this.auth.userId, user: await this.auth.getUser() };
  }
}

@Controller()
export class RootController {
  constructor(
    private readonly tokens: TokenService,
    private readonly whoAmI: WhoAmI,
  ) {}

  @Public()
  @Get('public')
  open(): { ok: boolean } {
    return { ok: true };
  }

  @Public()
  @Post('login')
  login(): { access_token: string } {
    return { access_token: this.tokens.createAccessToken({ id: 7, username: 'ada', permissions: ['items:read'] }, { fresh: true }) };
  }

  @Get('private')
  context(@AuthContext() context: RequestContext): RequestContext {
    return context;
  }

  @Get('me')
  async me(@CurrentUser() user: unknown, @Req() request: AuthRequest): Promise<{ user: unknown; again: unknown }> {
    return { user, again: await request.user };
  }

  @Get('no-user')
  noUser(): { ok: boolean } {
    return { ok: true };
  }

  @Get('service')
  service(): Promise<{ userId: string | null; user: unknown }> {
    return this.whoAmI.describe();
  }

  @Auth({ guards: [AllowAny()] })
  @Get('optional')
  optional(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }

  @Auth({ guards: [IsAdmin()] })
  @Get('admin')
  admin(): { ok: boolean } {
    return { ok: true };
  }

  @Auth({ guards: [IsStaff()] })
  @Get('staff')
  staff(): { ok: boolean } {
    return { ok: true };
  }

  @Permissions('items:read')
  @Get('items')
  items(): { ok: boolean } {
    return { ok: true };
  }

  @Permissions('items:read', 'items:write')
  @Post('items')
  createItem(): { ok: boolean } {
    return { ok: true };
  }

  @Auth({ guards: [HasAnyPermission('a', 'items:read')] })
  @Get('any')
  any(): { ok: boolean } {
    return { ok: true };
  }
}

@Public()
@Controller('open')
export class PublicController {
  @Get()
  list(): { ok: boolean } {
    return { ok: true };
  }

  /** A nearer @Auth() cancels the class @Public(): global backends, these guards. */
  @Auth({ guards: [IsAdmin()] })
  @Get('admin')
  admin(): { ok: boolean } {
    return { ok: true };
  }
}

@Auth({ guards: [IsAdmin()] })
@Controller('admin-area')
export class AdminController {
  @Get()
  index(): { ok: boolean } {
    return { ok: true };
  }

  /** Method over class. */
  @Public()
  @Get('health')
  health(): { ok: boolean } {
    return { ok: true };
  }

  @Auth({ guards: [AllowAny()] })
  @Get('anyone')
  anyone(): { ok: boolean } {
    return { ok: true };
  }
}

@Auth({ authentication: [new JwtAuthentication({ secret: OTHER_SECRET, algorithms: ['HS512'] })] })
@Controller('partner')
export class PartnerController {
  @Get()
  index(@AuthContext() context: RequestContext): { userId: string | null } {
    return { userId: context.userId };
  }
}

export function coreModule(log: LoaderLog): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
        tokens: { secret: SECRET },
        userLoader: async (context: RequestContext) => {
          log.calls.push(context.userId ?? 'null');
          return context.userId === '404' ? null : { id: context.userId, name: `user-${context.userId}` };
        },
      }),
    ],
    controllers: [RootController, PublicController, AdminController, PartnerController],
    providers: [WhoAmI],
  })
  class CoreModule {}
  return CoreModule;
}
