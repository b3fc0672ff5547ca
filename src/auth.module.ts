import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { AuthConfig } from './auth.config.js';
import { AuthErrorFilter } from './auth-error.filter.js';
import { ConfigurableAuthModule, AUTH_MODULE_OPTIONS } from './auth.module-definition.js';
import type { AuthModuleOptions } from './auth.options.js';
import { AUTH_REGISTRATION_CHECK, startupChecks } from './auth.startup.js';
import { AuthContextService } from './context/auth-context.service.js';
import { ContextStorage } from './context/context-storage.js';
import { AuthEvents } from './events/auth-events.js';
import { EventEmitterBridge } from './events/event-emitter.bridge.js';
import { WardenGuard } from './guards/warden.guard.js';
import { assertWardenGuard, GUARD_OVERRIDE_CHECK } from './guards/guard-override-check.js';
import { WsHandshakes } from './contexts/ws-handshakes.js';
import { InMemoryRevocation } from './revocation/in-memory-revocation.store.js';
import { RevocationStore } from './revocation/revocation.store.js';
import { TokenService } from './tokens/token.service.js';

/**
 * nestjs-warden's module. `forRoot()` / `forRootAsync()` install one global guard: every
 * route needs authentication unless marked `@Public()`.
 *
 * @example
 * ```ts
 * AuthModule.forRoot({
 *   authentication: [new JwtAuthentication({ secret: process.env.JWT_SECRET!, algorithms: ['HS256'] })],
 *   tokens: { secret: process.env.JWT_SECRET! },
 * })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    AuthConfig,
    {
      provide: RevocationStore,
      inject: [AUTH_MODULE_OPTIONS],
      useFactory: (options: AuthModuleOptions): RevocationStore => options.revocation ?? new InMemoryRevocation(),
    },
    TokenService,
    ContextStorage,
    AuthContextService,
    WsHandshakes,
    { provide: AuthEvents, inject: [AuthConfig], useFactory: (config: AuthConfig): AuthEvents => config.events },
    EventEmitterBridge,
    // The global guard is the WardenGuard provider, so overrideProvider(WardenGuard) in a test reaches it (checked below).
    WardenGuard,
    { provide: APP_GUARD, useExisting: WardenGuard },
    { provide: GUARD_OVERRIDE_CHECK, inject: [WardenGuard], useFactory: assertWardenGuard },
    { provide: APP_FILTER, useClass: AuthErrorFilter },
    { provide: AUTH_REGISTRATION_CHECK, inject: [AUTH_MODULE_OPTIONS, ModulesContainer], useFactory: startupChecks },
  ],
  exports: [TokenService, AuthContextService, RevocationStore, AuthConfig, AuthEvents],
})
export class AuthModule extends ConfigurableAuthModule {}
