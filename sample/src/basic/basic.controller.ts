import { Controller, Get } from '@nestjs/common';
import { Auth, CurrentUser } from 'nestjs-warden';
import { BasicAuthentication } from './basic.authentication.js';

@Controller('basic')
export class BasicController {
  /** HTTP Basic only, through a passport strategy: `curl -u bob:bob-password`. */
  @Auth({ authentication: [BasicAuthentication] })
  @Get('me')
  me(@CurrentUser() user: unknown): { user: unknown } {
    return { user };
  }
}
