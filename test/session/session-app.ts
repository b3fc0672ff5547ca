import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { All, Body, Controller, Get, HttpCode, Module, Post, Req, Res, type INestApplication, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import session from 'express-session';
import type { Store } from 'express-session';
import {
  AuthContext,
  AuthModule,
  CurrentUser,
  loginSession,
  logoutSession,
  Public,
  SessionAuthentication,
  type AuthModuleOptions,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
} from '../../src/index.js';
import type { AdapterName } from '../utils/app.js';

export const SESSION_SECRET = 'a-session-secret-that-is-long-enough-for-fastify';

export const USERS = new Map<string, { id: string; name: string; active: boolean }>([
  ['1', { id: '1', name: 'ann', active: true }],
  ['2', { id: '2', name: 'ben', active: true }],
]);

@Controller()
class SessionController {
  @Public()
  @Post('visit')
  @HttpCode(200)
  async visit(@Req() request: AuthRequest): Promise<{ ok: boolean }> {
    const s = request.session as { set?: (k: string, v: unknown) => void; visited?: boolean };
    if (typeof s.set === 'function') s.set('visited', true);
    else s.visited = true;
    return { ok: true };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Req() request: AuthRequest,
    @Res({ passthrough: true }) response: CookieResponse,
    @Body() body: { id: string },
  ): Promise<{ ok: boolean; csrfToken: string }> {
    return { ok: true, csrfToken: await loginSession(request, { id: body.id }, { response }) };
  }

  /** Logs in without the response: Express finds it on the request, Fastify cannot. */
  @Public()
  @Post('login-without-response')
  @HttpCode(200)
  async loginWithoutResponse(@Req() request: AuthRequest, @Body() body: { id: string }): Promise<{ ok: boolean; error?: string }> {
    try {
      await loginSession(request, { id: body.id });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  }

  /** A session written by hand, not by loginSession: it carries no CSRF token. */
  @Public()
  @Post('login-by-hand')
  @HttpCode(200)
  async loginByHand(@Req() request: AuthRequest, @Body() body: { id: string }): Promise<{ ok: boolean }> {
    const s = request.session as { set?: (k: string, v: unknown) => void; userId?: string };
    if (typeof s.set === 'function') s.set('userId', body.id);
    else s.userId = body.id;
    return { ok: true };
  }

  @All('items')
  @HttpCode(200)
  item(@Req() request: AuthRequest): { method: string } {
    return { method: request.method };
  }

  @Post('notes')
  @HttpCode(201)
  note(@AuthContext() context: RequestContext): { saved: boolean; by: string | null } {
    return { saved: true, by: context.userId };
  }

  @Get('me')
  me(@CurrentUser() user: unknown, @AuthContext() context: RequestContext): { user: unknown; backend: string | null } {
    return { user, backend: context.authBackend };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: boolean }> {
    await logoutSession(request, { response });
    return { ok: true };
  }
}

export function sessionModule(loads: string[], extra: Partial<AuthModuleOptions> = {}): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        ...extra,
        authentication: [new SessionAuthentication()],
        userLoader: (context) => {
          loads.push(String(context.userId));
          const user = USERS.get(String(context.userId));
          return user?.active === true ? user : null;
        },
      }),
    ],
    controllers: [SessionController],
  })
  class SessionAppModule {}
  return SessionAppModule;
}

/** Registers the session middleware of the adapter, optionally on a given store. */
export async function registerSessions(adapter: AdapterName, app: INestApplication, store?: Store): Promise<void> {
  if (adapter === 'express') {
    app.use(session({ secret: SESSION_SECRET, resave: false, saveUninitialized: false, store }));
  } else {
    const fastify = app as NestFastifyApplication;
    await fastify.register(fastifyCookie as never);
    await fastify.register(fastifySession as never, {
      secret: SESSION_SECRET,
      cookie: { secure: false },
      saveUninitialized: false,
      ...(store === undefined ? {} : { store }),
    });
  }
}

export const cookieName = (adapter: AdapterName): string => (adapter === 'express' ? 'connect.sid' : 'sessionId');
