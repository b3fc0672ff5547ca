import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AUTH_MODULE_OPTIONS } from '../auth.module-definition.js';
import { isEmitter } from '../auth.utils.js';
import type { AuthModuleOptions } from '../auth.options.js';
import type { AuthRequest } from './auth-request.interface.js';

/** Why the scope is off, for the `TypeError` a read then throws. */
type Off = 'option' | 'unused';

/**
 * The `AsyncLocalStorage` behind `AuthContextService`, shared with the global guard (which
 * enters it) so that the guard does not count as a reader of the service. Internal.
 *
 * On Node 20 an active `AsyncLocalStorage` runs a hook on every promise of the process, so
 * the scope is entered only when the app reads it: `contextStorage: true`, or left out and
 * some class of the app injects `AuthContextService` (decided once every instance exists).
 */
@Injectable()
export class ContextStorage implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly storage = new AsyncLocalStorage<AuthRequest | undefined>();
  private off: Off | undefined;
  private server: EventEmitter | undefined;
  /** `contextStorage` was given (`true` or `false`): nothing is decided from the app's classes. */
  private readonly explicit: boolean;

  constructor(
    @Optional() @Inject(AUTH_MODULE_OPTIONS) options?: AuthModuleOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.off = (options as AuthModuleOptions | null | undefined)?.contextStorage === false ? 'option' : undefined;
    this.explicit = typeof (options as AuthModuleOptions | null | undefined)?.contextStorage === 'boolean';
  }

  /** Whether the scope is entered. */
  get enabled(): boolean {
    return this.off === undefined;
  }

  /** `contextStorage` left out: on when the app injects `AuthContextService`, off otherwise. Called once, before bootstrap. */
  decide(readers: readonly string[]): void {
    if (!this.explicit) this.off = readers.length > 0 ? undefined : 'unused';
  }

  /** Clears the previous request at the start of each HTTP request (see `AuthContextService`). */
  private readonly clear = (): void => {
    this.storage.enterWith(undefined);
  };

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const server: unknown = this.adapterHost?.httpAdapter?.getHttpServer();
    if (!isEmitter(server)) return;
    // Prepended: it must run before the adapter's own listener, in the same async resource.
    server.prependListener('request', this.clear);
    this.server = server;
  }

  onApplicationShutdown(): void {
    this.server?.removeListener('request', this.clear);
    this.server = undefined;
  }

  /** Makes `request` current for the rest of this asynchronous flow; nothing when off. */
  enter(request: AuthRequest): void {
    if (this.off === undefined) this.storage.enterWith(request);
  }

  run<T>(request: AuthRequest, fn: () => T): T {
    this.assertEnabled();
    return this.storage.run(request, fn);
  }

  current(): AuthRequest | undefined {
    this.assertEnabled();
    return this.storage.getStore();
  }

  private assertEnabled(): void {
    if (this.off === 'option') {
      throw new TypeError(
        'AuthContextService: AuthModule is configured with `contextStorage: false`, so there is no current request to read: ' +
          'remove that option, or read the request with @AuthContext() / @Req().',
      );
    }
    if (this.off === 'unused') {
      throw new TypeError(
        'AuthContextService: no class of the app injected AuthContextService at start-up, so its scope is off ' +
          '(it costs every request when on): inject it where it is read, or set `contextStorage: true` in AuthModule.forRoot() ' +
          'when it is reached another way (moduleRef.get()).',
      );
    }
  }
}
