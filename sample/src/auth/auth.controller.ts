import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { AuthContext, Public, TokenService, type RequestContext, type TokenPair } from 'nestjs-warden';
import { UsersService } from '../users/users.service.js';
import { UnauthorizedException } from '@nestjs/common';

interface LoginBody {
  username?: string;
  password?: string;
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  /** Username + password → a fresh access token and a refresh token. */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginBody): Promise<{ access_token: string; refresh_token: string; token_type: 'bearer'; expires_in: number }> {
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
