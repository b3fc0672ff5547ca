import { generateKeyPairSync } from 'node:crypto';
import { Body, Controller, Get, Module, Post, Req } from '@nestjs/common';
import {
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthModule,
  CurrentUser,
  HasAnyRole,
  JwtAuthentication,
  Public,
  RoleClaims,
  Roles,
  Scopes,
  TokenService,
  UserPassesTest,
  type AuthUser,
  type RequestContext,
} from '../../src/index.js';

/** An app whose roles come from every layout the usual providers use, each behind its own route. */
export const SECRET = 'teams-roles-secret-at-least-32-bytes!';
export const ISSUER = 'https://id.example.test';
/** Another issuer's RS256 key pair: tokens are signed with `jose`, the app holds only the public key. */
export const KEYS = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const API_KEY = 'teams-api-key-with-roles-0001';

const external = (options: Partial<ConstructorParameters<typeof JwtAuthentication>[0]> = {}): JwtAuthentication =>
  new JwtAuthentication({ publicKey: KEYS.publicKey, algorithms: ['RS256'], issuer: ISSUER, ...options });

const API_KEYS = new ApiKeyAuthentication({ keys: { [API_KEY]: { name: 'ci-bot', roles: ['staff', 'deployer', 7 as never] } } });

export const LAYOUTS = {
  roles: external(),
  keycloakRealm: external({ roles: 'realm_access.roles' }),
  keycloakClient: external({ roles: RoleClaims.keycloakClient('orders-api') }),
  keycloak: external({ roles: RoleClaims.keycloak('orders-api') }),
  auth0: external({ roles: RoleClaims.namespaced('https://example.com/roles') }),
  azureAd: external({ roles: RoleClaims.azureAd() }),
  custom: external({ roles: (claims) => (Array.isArray(claims.groups) ? claims.groups.map((group) => `group:${String(group)}`) : []) }),
  bigTokens: external({ maxTokenLength: 16_000 }),
};

/** How many times the app's userLoader ran (UserPassesTest's `user()` must be lazy). */
export const loads: string[] = [];

@Controller('layouts')
class LayoutsController {
  @Auth({ authentication: [LAYOUTS.roles] })
  @Roles('admin')
  @Get('roles')
  roles(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.keycloakRealm] })
  @Roles('admin')
  @Get('keycloak-realm')
  keycloakRealm(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.keycloakClient] })
  @Roles('clerk')
  @Get('keycloak-client')
  keycloakClient(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.keycloak] })
  @Roles('user', 'clerk')
  @Get('keycloak')
  keycloak(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.auth0] })
  @Roles('editor')
  @Get('auth0')
  auth0(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.azureAd] })
  @Roles('Task.Write')
  @Get('azure-ad')
  azureAd(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.custom] })
  @Roles('group:ops')
  @Get('custom')
  custom(@AuthContext() context: RequestContext) {
    return { roles: context.roles };
  }

  @Auth({ authentication: [LAYOUTS.bigTokens] })
  @Roles('admin')
  @Get('big')
  big(@AuthContext() context: RequestContext) {
    return { count: context.roles.length };
  }

  /** A handler that tries to keep a role for the next request: it must not reach it. */
  @Auth({ authentication: [LAYOUTS.roles], guards: [HasAnyRole('user', 'admin')] })
  @Get('tamper')
  tamper(@AuthContext() context: RequestContext, @Req() request: { context: RequestContext }) {
    let pushed = 'refused';
    try {
      context.roles.push('admin');
      pushed = 'accepted';
    } catch {
      // A cached token's roles are frozen.
    }
    request.context.roles = ['admin'];
    return { pushed };
  }
}

@Roles('staff')
@Controller('back-office')
class BackOfficeController {
  @Get('list')
  list(@AuthContext() context: RequestContext) {
    return { roles: context.roles, scopes: context.scopes };
  }

  @Roles('admin')
  @Get('purge')
  purge() {
    return { purged: true };
  }

  @Auth({ guards: [HasAnyRole('admin', 'auditor')] })
  @Get('audit')
  audit() {
    return { audited: true };
  }

  @Scopes('orders:read')
  @Get('orders')
  orders(@AuthContext() context: RequestContext) {
    return { scopes: context.scopes };
  }

  @Scopes('orders:read', 'orders:write')
  @Post('orders')
  write() {
    return { written: true };
  }

  @Auth({ authentication: [API_KEYS] })
  @Get('by-key')
  byKey(@AuthContext() context: RequestContext) {
    return { userId: context.userId, roles: context.roles };
  }
}

@Controller('predicates')
class PredicatesController {
  @Auth({ guards: [UserPassesTest((context) => context.userId === 'owner')] })
  @Get('sync')
  sync() {
    return { ok: true };
  }

  @Auth({ guards: [UserPassesTest<{ plan: string }>(async (_context, user) => (await user()).plan === 'pro')] })
  @Get('async')
  async(@CurrentUser() user: { plan: string }) {
    return { plan: user.plan };
  }

  @Auth({ guards: [UserPassesTest(async (context) => context.roles.includes('staff'))] })
  @Get('no-user')
  noUser() {
    return { ok: true };
  }
}

@Controller('tokens')
class TokensController {
  constructor(private readonly tokens: TokenService) {}

  @Public()
  @Post('login')
  login(@Body() body: { user: AuthUser; extraClaims?: Record<string, unknown> }) {
    return this.tokens.createTokenPair(body.user, body.extraClaims === undefined ? {} : { extraClaims: body.extraClaims });
  }

  @Public()
  @Post('refresh')
  refresh(@Body() body: { refresh_token: string }) {
    return this.tokens.refresh(body.refresh_token);
  }
}

/** The users the app's userLoader knows: `plan` for UserPassesTest, `roles` that a refresh re-reads. */
export const users = new Map<string, { id: string; plan: string; roles?: string[] }>();

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
      tokens: { secret: SECRET },
      userLoader: (context) => {
        loads.push(context.userId!);
        return users.get(context.userId!) ?? null;
      },
    }),
  ],
  controllers: [LayoutsController, BackOfficeController, PredicatesController, TokensController],
})
export class RolesAppModule {}
