import { Controller, Get, Inject, Injectable, Module, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import * as warden from 'nestjs-warden';
import {
  AuthContextService,
  AuthEvents,
  AuthModule,
  JwtAuthentication,
  Permissions,
  RevocationStore,
  type AuthenticationBackend,
} from 'nestjs-warden';
import { PostgresRevocation } from 'nestjs-warden/postgres';
import { RedisRevocation } from 'nestjs-warden/redis';
import type { Fixtures } from '../fixtures.js';
import type { Scenario } from '../scenarios.js';
import { HelloController } from './hello.controller.js';

/** Parts built by other engineers: looked up at run time, so the bench compiles before they land. */
type ApiKeyAuthenticationClass = new (options: { keys: string[] }) => AuthenticationBackend;

/** An export of the built package that may not exist yet. */
export function optionalExport<T>(name: string): T | undefined {
  return (warden as unknown as Record<string, T | undefined>)[name];
}

/** nestjs-warden as its README configures it, one backend per scenario. */
export function createModule(scenario: Scenario, fixtures: Fixtures, redisUrl: string | undefined): Type {
  const authentication: AuthenticationBackend[] = [];
  if (scenario.apiKey === true) {
    const ApiKeyAuthentication = optionalExport<ApiKeyAuthenticationClass>('ApiKeyAuthentication');
    if (ApiKeyAuthentication === undefined) throw new Error('ApiKeyAuthentication is not built');
    authentication.push(new ApiKeyAuthentication({ keys: [fixtures.apiKey] }));
  } else if (scenario.token === 'HS256') {
    authentication.push(new JwtAuthentication({ secret: fixtures.secret, algorithms: ['HS256'] }));
  } else if (scenario.token !== undefined) {
    authentication.push(new JwtAuthentication({ publicKey: fixtures.publicKeys[scenario.token], algorithms: [scenario.token] }));
  }
  let revocation: RevocationStore | undefined;
  if (scenario.redis === true) {
    if (redisUrl === undefined) throw new Error('RedisRevocation needs a Redis');
    revocation = new RedisRevocation({ url: redisUrl });
  }
  if (scenario.postgres === true) {
    revocation = new PostgresRevocation({
      connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      tablePrefix: 'bench_',
    });
  }

  @Controller()
  class PermissionsController {
    @Permissions(fixtures.permission)
    @Get('hello')
    hello(): { hello: string } {
      return { hello: 'world' };
    }
  }

  /** The measured route, reading the request's user through `AuthContextService` as an app's service would. */
  @Controller()
  class ContextController {
    constructor(private readonly auth: AuthContextService) {}
    @Get('hello')
    hello(): { hello: string } {
      if (this.auth.userId === null) throw new Error('AuthContextService read no user');
      return { hello: 'world' };
    }
  }

  /** The `events` and `otel` rows: who observes the app, set up once it is built. */
  @Injectable()
  class Observers implements OnApplicationBootstrap {
    constructor(
      @Inject(AuthEvents) private readonly events: AuthEvents,
      @Inject(RevocationStore) private readonly store: RevocationStore,
    ) {}
    async onApplicationBootstrap(): Promise<void> {
      const observe = await import('./observe.js');
      if (scenario.observe === 'listener') observe.subscribeListener(this.events);
      if (scenario.observe === 'otel') await observe.installOtel(this.events, this.store);
    }
  }

  @Module({
    providers: scenario.observe === undefined ? [] : [Observers],
    imports: [
      AuthModule.forRoot({
        authentication,
        ...(scenario.userLoader === true ? { userLoader: async (context) => ({ id: context.userId, name: 'Ada' }) } : {}),
        ...(revocation === undefined ? {} : { revocation }),
        ...(scenario.context === 'off' ? { contextStorage: false } : {}),
      }),
    ],
    controllers: [
      scenario.permissions === true ? PermissionsController : scenario.context === 'read' ? ContextController : HelloController,
    ],
  })
  class WardenBenchModule {}
  return WardenBenchModule;
}
