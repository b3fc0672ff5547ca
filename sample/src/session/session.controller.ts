import { Body, Controller, Get, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import {
  Auth,
  CurrentUser,
  loginSession,
  logoutSession,
  Public,
  SessionAuthentication,
  type AuthRequest,
  type CookieResponse,
} from 'nestjs-warden';
import { UsersService } from '../users/users.service.js';

const sessions = new SessionAuthentication();

@Controller('session')
export class SessionController {
  constructor(private readonly users: UsersService) {}

  /**
   * Username + password → a server-side session (the id is regenerated against fixation)
   * and a `csrf_token` cookie, which unsafe session requests echo in `X-CSRF-Token`.
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Req() request: AuthRequest,
    @Res({ passthrough: true }) response: CookieResponse,
    @Body() body: { username?: string; password?: string },
  ): Promise<{ ok: true }> {
    const user = await this.users.verifyPassword(String(body?.username ?? ''), String(body?.password ?? ''));
    if (user === null) throw new UnauthorizedException('Wrong username or password');
    await loginSession(request, user, { response });
    return { ok: true };
  }

  @Auth({ authentication: [sessions] })
  @Get('me')
  me(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }

  /** An unsafe method on a session: it needs the X-CSRF-Token header (403 csrf_failed without). */
  @Auth({ authentication: [sessions] })
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: true }> {
    await logoutSession(request, { response });
    return { ok: true };
  }
}
