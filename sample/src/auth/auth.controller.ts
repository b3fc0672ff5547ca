import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Public, TokenService } from 'nestjs-warden';
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
}
