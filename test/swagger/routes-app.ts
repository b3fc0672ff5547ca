import {
  All,
  Controller,
  Get,
  Injectable,
  Module,
  Post,
  RequestMethod,
  Version,
  VersioningType,
  type INestApplication,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import {
  AuthModule,
  JwtAuthentication,
  Public,
  type AuthenticationBackend,
  type AuthResult,
  type OpenApiSecurityScheme,
} from 'nestjs-warden';
import type { AuthRequest } from 'nestjs-warden';
import { ReportsController as AnalyticsReportsController } from './analytics.controller.js';
import { ReportsController as BillingReportsController } from './billing.controller.js';

export const ROUTES_SECRET = 'a-swagger-test-secret-of-at-least-32-bytes';
export const PARTNER_KEY = 'partner-key-for-the-swagger-test';

/** An injectable backend given to the module by class: its scheme must be read before init(). */
@Injectable()
export class PartnerAuthentication implements AuthenticationBackend {
  readonly name = 'partner';

  authenticate(request: AuthRequest): AuthResult | null {
    const key = request.headers['x-partner-key'];
    return key === PARTNER_KEY ? { userId: 'partner' } : null;
  }

  openApiScheme(): OpenApiSecurityScheme {
    return { name: 'partner_key', scheme: { type: 'apiKey', in: 'header', name: 'x-partner-key' } };
  }
}

@Controller()
export class HealthController {
  /** Excluded from the global prefix: served at /health. */
  @Public()
  @Get('health')
  health(): { ok: true } {
    return { ok: true };
  }

  /** Same path, another method, not excluded: served at /api/health and protected. */
  @Post('health')
  check(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [BillingReportsController] })
export class BillingModule {}

@Module({ controllers: [AnalyticsReportsController] })
export class AnalyticsModule {}

/**
 * Two controllers named `ReportsController` in two modules, a global prefix with an
 * exclusion, URI versioning and a RouterModule path: what the Swagger mapping must keep apart.
 */
@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: ROUTES_SECRET, algorithms: ['HS256'] }), PartnerAuthentication],
    }),
    BillingModule,
    AnalyticsModule,
    RouterModule.register([{ path: 'analytics', module: AnalyticsModule }]),
  ],
  controllers: [HealthController],
  providers: [PartnerAuthentication],
})
export class RoutesAppModule {}

/** What the app registers before the document is built, as `main.ts` would. */
export function configureRoutesApp(app: INestApplication): void {
  app.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
  app.enableVersioning({ type: VersioningType.URI });
}

/** Version 1 of GET /cats under header versioning: public. */
@Controller('cats')
export class CatsV1Controller {
  @Public()
  @Version('1')
  @Get()
  list(): { version: number } {
    return { version: 1 };
  }

  /** Every method, one handler: the document lists each method. */
  @Public()
  @All('any/:x')
  any(): { any: true } {
    return { any: true };
  }
}

/** Version 2 of GET /cats: protected. Same method and path as version 1. */
@Controller('cats')
export class CatsV2Controller {
  @Version('2')
  @Get()
  list(): { version: number } {
    return { version: 2 };
  }
}

/** An optional segment and a wildcard in path-to-regexp 8 syntax (Express's; Fastify's router has its own). */
@Controller('files')
export class FilesController {
  @Get('list{/:name}')
  list(): { files: true } {
    return { files: true };
  }

  @Get('deep/*rest')
  deep(): { deep: true } {
    return { deep: true };
  }
}

const edgeAuth = AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: ROUTES_SECRET, algorithms: ['HS256'] })] });

/** Two handlers on one method and path (header versioning), and an `@All()` route. */
@Module({ imports: [edgeAuth], controllers: [CatsV1Controller, CatsV2Controller] })
export class EdgeRoutesModule {}

/** The same, plus routes whose document paths are not their Nest paths. */
@Module({ imports: [edgeAuth], controllers: [CatsV1Controller, CatsV2Controller, FilesController] })
export class ExpressEdgeRoutesModule {}
