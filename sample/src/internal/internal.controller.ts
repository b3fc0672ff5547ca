import { Controller, Get } from '@nestjs/common';
import { ApiKeyAuthentication, Auth, AuthContext, Permissions, type RequestContext } from 'nestjs-warden';

/** The demo key: SAMPLE_API_KEY, or this default (change it outside a demo). */
export const SAMPLE_API_KEY = process.env.SAMPLE_API_KEY ?? 'sample-internal-key-change-me';

export const internalKeys = new ApiKeyAuthentication({
  keys: { [SAMPLE_API_KEY]: { name: 'reporting-service', permissions: ['internal:read'] } },
});

@Controller('internal')
export class InternalController {
  /** For services: an API key in X-API-Key, holding internal:read. */
  @Auth({ authentication: [internalKeys] })
  @Permissions('internal:read')
  @Get()
  status(@AuthContext() context: RequestContext): { service: string | null; status: string } {
    return { service: context.userId, status: 'ok' };
  }
}
