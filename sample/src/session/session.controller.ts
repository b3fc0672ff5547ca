import { Body, Controller, Get, HttpCode, Post, Req, UnauthorizedException } from '@nestjs/common';
import { Auth, CurrentUser, loginSession, logoutSession, Public, SessionAuthentication, type AuthRequest } from 'nestjs-warden';
import { UsersService } from '../users/users.service.js';

const sessions = new SessionAuthentication();

@Controller('session')
export class SessionController {
  constructor(private readonly users: UsersService) {}

  /** Username + password → a server-side session (the id is regenerated against fixation). */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Req() request: AuthRequest, @Body() body: { username?: string; password?: string }): Promise<{ ok: true }> {
    const user = await this.users.verifyPassword(String(body?.username ?? ''), String(body?.password ?? ''));
    if (user === null) throw new UnauthorizedException('Wrong username or password');
    await loginSession(request, user);
    return { ok: true };
  }

  @Auth({ authentication: [sessions] })
  @Get('me')
  me(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }

  @Auth({ authentication: [sessions] })
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest): Promise<{ ok: true }> {
    await logoutSession(request);
    return { ok: true };
  }
}
