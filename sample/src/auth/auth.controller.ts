import { BadRequestException, Body, Controller, Headers, HttpCode, Post, UnauthorizedException } from '@nestjs/common';
import { AuthContext, Public, TokenService, type RequestContext, type TokenPair } from 'nestjs-warden';
import { UsersService } from '../users/users.service.js';

/** JSON `{ username, password }`, or the OAuth2 password-grant form Swagger UI's Authorize posts. */
interface LoginBody {
  username?: string;
  password?: string;
  grant_type?: string;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  /**
   * Username + password → a fresh access token and a refresh token. Takes JSON, or the
   * form of an OAuth2 password grant (`grant_type=password&username=…&password=…`, RFC 6749
   * §4.3) that Swagger UI's Authorize button posts; the answer suits both.
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginBody): Promise<{ access_token: string; refresh_token: string; token_type: 'bearer'; expires_in: number }> {
    if (body?.grant_type !== undefined && body.grant_type !== 'password') {
      throw new BadRequestException({ error: 'unsupported_grant_type', error_description: 'Only grant_type=password is supported' });
    }
    const user = await this.users.verifyPassword(String(body?.username ?? ''), String(body?.password ?? ''));
    if (user === null) throw new UnauthorizedException('Wrong username or password');
    return this.tokens.createTokenPair(user);
  }

  /** A refresh token → a new pair (rotation); a refresh token used twice revokes its login. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: { refresh_token?: string }): Promise<TokenPair> {
    return this.tokens.refresh(String(body?.refresh_token ?? ''));
  }

  /** Revokes the presented access token and every token of its login (refresh included). */
  @Post('logout')
  @HttpCode(200)
  async logout(@Headers('authorization') authorization: string | undefined): Promise<{ ok: true }> {
    const token = authorization?.split(' ')[1];
    if (token) await this.tokens.revoke(token, { family: true });
    return { ok: true };
  }

  /** Revokes every token of the user issued up to now, on every device. */
  @Post('logout-all')
  @HttpCode(200)
  async logoutAll(@AuthContext() context: RequestContext): Promise<{ ok: true }> {
    await this.tokens.revokeAllForUser(context.userId ?? '');
    return { ok: true };
  }
}
