import { Controller, Get, Module } from '@nestjs/common';
import { Auth, AuthContext, AuthModule, JwtAuthentication, type RequestContext } from '../../src/index.js';
import { ed, HS_SECRET, p256, rsa } from './corpus-keys.js';

export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'api.example.com';

const hs = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'] });
const rs = new JwtAuthentication({ publicKey: rsa.publicKey, algorithms: ['RS256'] });
const mixed = new JwtAuthentication({ secret: HS_SECRET, publicKey: rsa.publicKey, algorithms: ['HS256', 'RS256'] });
const es = new JwtAuthentication({ publicKey: p256.publicKey, algorithms: ['ES256'] });
const eddsa = new JwtAuthentication({ publicKey: ed.publicKey, algorithms: ['EdDSA'] });
const claimed = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
const lenient = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], leeway: 30 });

@Controller()
class TargetsController {
  @Get('hs') hsRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [rs] }) @Get('rs') rsRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [mixed] }) @Get('mixed') mixedRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [es] }) @Get('es') esRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [eddsa] }) @Get('ed') edRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [claimed] }) @Get('claims') claimsRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [lenient] }) @Get('leeway') leewayRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [hs], tokens: { secret: HS_SECRET } })],
  controllers: [TargetsController],
})
export class CorpusAppModule {}
