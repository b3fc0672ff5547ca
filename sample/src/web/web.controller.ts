import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { CurrentUser, Public, TokenService, type AuthRequest, type CookieResponse } from 'nestjs-warden';
import { parse } from 'cookie';
import { UsersService } from '../users/users.service.js';
import { LOGIN_PAGE } from './login-page.js';
import { LoginDto } from '../auth/login.dto.js';

/** The browser flow: tokens in HttpOnly cookies, a CSRF header on unsafe requests. */
@Controller()
export class WebController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  @Public()
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return LOGIN_PAGE;
  }

  @Public()
  @Post('web/login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: true }> {
    const user = await this.users.verifyPassword(body.username, body.password);
    if (user === null) throw new UnauthorizedException('Wrong username or password');
    this.tokens.setAuthCookies(response, this.tokens.createTokenPair(user));
    return { ok: true };
  }

  @Get('web/me')
  me(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }

  /** An unsafe method: with cookie authentication it needs the X-CSRF-Token header. */
  @Post('web/notes')
  @HttpCode(201)
  note(@Body() body: { text?: string }): { saved: string } {
    return { saved: String(body?.text ?? '') };
  }

  /** The refresh cookie is scoped to /web (tokens.cookies.refreshPath), so it reaches this route. */
  @Public()
  @Post('web/refresh')
  @HttpCode(200)
  async refresh(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: true }> {
    const refreshToken = parse(request.headers.cookie ?? '').refresh_token;
    if (refreshToken === undefined) throw new UnauthorizedException('No refresh cookie');
    this.tokens.setAuthCookies(response, await this.tokens.refresh(refreshToken));
    return { ok: true };
  }

  /**
   * Ends the login whose cookies the browser sends (the access cookie, or once it expired the
   * refresh cookie, which refreshPath '/web' scopes here too); needs X-CSRF-Token. Public, so an
   * expired login can still be ended; a second logout answers 200 as well.
   */
  @Public()
  @Post('web/logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: true }> {
    await this.tokens.logout(request, response);
    return { ok: true };
  }
}
