import { BadRequestException, Body, Controller, HttpCode, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import {
  AuthContext,
  Public,
  TokenService,
  type AuthRequest,
  type CookieResponse,
  type RequestContext,
  type TokenPair,
} from 'nestjs-warden';
import { UsersService } from '../users/users.service.js';
import { LoginDto, LogoutAllDto, RefreshDto } from './login.dto.js';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  /**
   * Username + password → a fresh access token and a refresh token. Takes JSON, or the
   * form of an OAuth2 password grant (`grant_type=password&username=…&password=…`, RFC 6749
   * §4.3) that Swagger UI's Authorize button posts; the answer suits both. The body is
   * validated by `ValidationPipe` (400 naming the field).
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto): Promise<TokenPair> {
    if (body.grant_type !== undefined && body.grant_type !== 'password') {
      throw new BadRequestException({ error: 'unsupported_grant_type', error_description: 'Only grant_type=password is supported' });
    }
    const user = await this.users.verifyPassword(body.username, body.password);
    if (user === null) throw new UnauthorizedException('Wrong username or password');
    return this.tokens.createTokenPair(user);
  }

  /** A refresh token → a new pair carrying the user's current fields (rotation); a refresh token used twice revokes its login. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshDto): Promise<TokenPair> {
    return this.tokens.refresh(body.refresh_token);
  }

  /**
   * Ends this login, bearer or cookie, even once its access token has expired (the token's
   * signature is still checked; a cookie logout needs the X-CSRF-Token header). Public, so an
   * expired token reaches it; without a token there is nothing to end, and it still answers 200.
   */
  @Public()
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: AuthRequest, @Res({ passthrough: true }) response: CookieResponse): Promise<{ ok: true }> {
    await this.tokens.logout(request, response);
    return { ok: true };
  }

  /** Every token of the user issued up to now, on every device; `{ "others": true }` keeps this login. */
  @Post('logout-all')
  @HttpCode(200)
  async logoutAll(@AuthContext() context: RequestContext, @Body() body: LogoutAllDto): Promise<{ ok: true }> {
    const family = context.claims.fam;
    const keep = body?.others === true && typeof family === 'string' ? { except: family } : {};
    await this.tokens.revokeAllForUser(context.userId ?? '', keep);
    return { ok: true };
  }
}
