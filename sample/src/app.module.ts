import { randomBytes } from 'node:crypto';
import { Module, ValidationPipe } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { AuthModule, InMemoryRevocation, JwtAuthentication, SessionAuthentication } from 'nestjs-warden';
import { PostgresRevocation } from 'nestjs-warden/postgres';
import { RedisRevocation } from 'nestjs-warden/redis';
import { BasicAuthentication } from './basic/basic.authentication.js';
import { BasicController } from './basic/basic.controller.js';
import { SessionController } from './session/session.controller.js';
import { WebController } from './web/web.controller.js';
import { InternalController } from './internal/internal.controller.js';
import { AuthController } from './auth/auth.controller.js';
import { AuditService } from './demo/audit.service.js';
import { DemoController } from './demo/demo.controller.js';
import { UsersModule } from './users/users.module.js';
import { UsersService } from './users/users.service.js';
import { OrdersController } from './roles/orders.controller.js';
import { SampleGraphqlModule } from './graphql/graphql.config.js';
import { ReportFeed } from './graphql/report-feed.service.js';
import { ReportsResolver } from './graphql/reports.resolver.js';
import { EventsGateway } from './gateway/events.gateway.js';
import { ReportsHandlers } from './microservice/reports.handlers.js';
import { ReportsClient } from './microservice/reports.client.js';
import { ReportsClientController } from './microservice/reports-client.controller.js';
import { SecurityCounters } from './observability/security-counters.js';

/** The signing secret: JWT_SECRET, or a random one for this run (tokens then last until a restart). */
export const JWT_SECRET = process.env.JWT_SECRET ?? randomBytes(48).toString('base64url');

@Module({
  imports: [
    UsersModule,
    AuthModule.forRootAsync({
      inject: [UsersService],
      useFactory: (users: UsersService) => ({
        authentication: [
          new JwtAuthentication({ secret: JWT_SECRET, algorithms: ['HS256'], cookie: 'access_token' }),
          new SessionAuthentication(),
        ],
        userLoader: (context) => users.load(context),
        tokens: {
          secret: JWT_SECRET,
          algorithm: 'HS256',
          accessTtl: 3600,
          // Secure cookies need https: on for production, off for http://127.0.0.1 while trying the sample.
          // refreshPath '/web': the refresh cookie reaches /web/refresh and /web/logout (a logout
          // after the access cookie expired still ends the login), and no other route.
          cookies: { secure: process.env.NODE_ENV === 'production', refreshPath: '/web' },
        },
        // Shared by every instance when REDIS_URL or DATABASE_URL is set; in this process's memory otherwise.
        revocation: process.env.REDIS_URL
          ? new RedisRevocation({ url: process.env.REDIS_URL })
          : process.env.DATABASE_URL
            ? new PostgresRevocation({ connectionString: process.env.DATABASE_URL })
            : new InMemoryRevocation(),
      }),
    }),
    SampleGraphqlModule,
  ],
  controllers: [
    AuthController,
    DemoController,
    SessionController,
    BasicController,
    WebController,
    InternalController,
    OrdersController,
    ReportsHandlers,
    ReportsClientController,
  ],
  providers: [
    AuditService,
    BasicAuthentication,
    ReportFeed,
    ReportsResolver,
    EventsGateway,
    ReportsClient,
    SecurityCounters,
    // Request bodies declared as classes (LoginDto…) are validated: a 400 naming the field.
    { provide: APP_PIPE, useValue: new ValidationPipe({ whitelist: true }) },
  ],
})
export class AppModule {}
