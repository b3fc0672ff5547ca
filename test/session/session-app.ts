import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { Body, Controller, Get, HttpCode, Module, Post, Req, type INestApplication, type Type } from '@nestjs/common';
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
  type AuthRequest,
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
  async login(@Req() request: AuthRequest, @Body() body: { id: string }): Promise<{ ok: boolean }> {
    await loginSession(request, { id: body.id });
    return { ok: true };
  }

  @Get('me')
  me(@CurrentUser() user: unknown, @AuthContext() context: RequestContext): { user: unknown; backend: string | null } {
    return { user, backend: context.authBackend };
  }

  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest): Promise<{ ok: boolean }> {
    await logoutSession(request);
    return { ok: true };
  }
}

export function sessionModule(loads: string[]): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
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
