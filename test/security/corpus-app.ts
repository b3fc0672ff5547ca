import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import {
  ApiKeyAuthentication,
  Auth,
  AuthContext,
  AuthModule,
  JwtAuthentication,
  Permissions,
  type RequestContext,
} from '../../src/index.js';
import { ed, HS_SECRET, p256, rsa } from './corpus-keys.js';

export const ISSUER = 'https://issuer.example';
export const AUDIENCE = 'api.example.com';
/** The one API key the corpus app knows (32 random-looking characters). */
export const API_KEY = 'wk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

const hs = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'] });
const rs = new JwtAuthentication({ publicKey: rsa.publicKey, algorithms: ['RS256'] });
const mixed = new JwtAuthentication({ secret: HS_SECRET, publicKey: rsa.publicKey, algorithms: ['HS256', 'RS256'] });
const es = new JwtAuthentication({ publicKey: p256.publicKey, algorithms: ['ES256'] });
const eddsa = new JwtAuthentication({ publicKey: ed.publicKey, algorithms: ['EdDSA'] });
const claimed = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
const lenient = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], leeway: 30 });
const apiKeys = new ApiKeyAuthentication({ keys: { [API_KEY]: { name: 'billing-service', permissions: ['invoices:read'] } } });
const cookieJwt = new JwtAuthentication({ secret: HS_SECRET, algorithms: ['HS256'], cookie: 'access_token' });

/** The JWT backends of the corpus routes, by path: the same rows run through GraphQL and WebSocket handlers too. */
export const JWT_ROUTES = {
  '/hs': hs,
  '/rs': rs,
  '/mixed': mixed,
  '/es': es,
  '/ed': eddsa,
  '/claims': claimed,
  '/leeway': lenient,
} as const;

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
  @Auth({ authentication: [apiKeys] }) @Get('key') keyRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [apiKeys] })
  @Permissions('invoices:write')
  @Get('key/write')
  keyWriteRoute(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [cookieJwt] }) @Get('cookie') cookieRead(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
  @Auth({ authentication: [cookieJwt] })
  @HttpCode(200)
  @Post('cookie')
  cookieWrite(@AuthContext() c: RequestContext): { userId: string | null } {
    return { userId: c.userId };
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [hs], tokens: { secret: HS_SECRET } })],
  controllers: [TargetsController],
})
export class CorpusAppModule {}
