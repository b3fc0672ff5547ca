import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AUTH_MODULE_OPTIONS } from '../auth.module-definition.js';
import type { AuthModuleOptions } from '../auth.options.js';
import type { AuthRequest } from './auth-request.interface.js';
import type { RequestContext } from './request-context.interface.js';

/**
 * The current request's authentication, for services, without REQUEST-scoped providers:
 * an `AsyncLocalStorage` carries the request through the handler and everything it starts,
 * whatever it returns (a value, a Promise, an Observable subscribed later, even a delayed
 * one, an `@Sse()` stream, a `StreamableFile`) and in exception filters.
 *
 * The scope is on for every app unless `AuthModule` is given `contextStorage: false`. The
 * global guard enters it (`AsyncLocalStorage#enterWith`) first thing on every HTTP request,
 * so it holds from the guard to the end of the request with no interceptor, middleware or
 * extra Observable per request. The alternatives measured worse: an interceptor's `run()`
 * ends when the handler returns, so a lazy Observable (`defer()`, `delay()`) subscribed
 * afterwards read nothing, and it cost a JWT request 40% of its server CPU on Fastify; a
 * `run()` middleware on every route is correct but costs 25-30% there (each request then
 * passes through `@fastify/middie`). `enterWith` leaves the request on the connection's async
 * resource once the guard returns, so each incoming HTTP request clears it first (a listener
 * on the server's `request` event): code that runs before the guard (middleware, guards
 * registered ahead of it) reads `undefined`, never the previous request of the same
 * keep-alive connection.
 *
 * On Node 20 an active `AsyncLocalStorage` runs a hook on every promise: measured in paired
 * runs of the bench rows, about 10% more server CPU per JWT request on Fastify and 3-5% on
 * Express (the hook is shared, so an app that already runs an `AsyncLocalStorage`, as
 * OpenTelemetry or `nestjs-cls` do, pays it already). An app that never reads this service
 * can save it with `contextStorage: false`.
 *
 * Outside an HTTP request (a WebSocket or microservice handler, a scheduled job) the getters
 * read `undefined` / `null`; wrap such code in {@link AuthContextService.run | run()}.
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common';
 * import { AuthContextService } from 'nestjs-warden';
 *
 * @Injectable()
 * export class AuditService {
 *   constructor(private readonly auth: AuthContextService) {}
 *   record(action: string) {
 *     return { action, by: this.auth.userId };
 *   }
 * }
 * ```
 */
@Injectable()
export class AuthContextService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly storage = new AsyncLocalStorage<AuthRequest | undefined>();
  private readonly enabled: boolean;
  private server: EventEmitter | undefined;

  constructor(
    @Optional() @Inject(AUTH_MODULE_OPTIONS) options?: AuthModuleOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.enabled = (options as AuthModuleOptions | null | undefined)?.contextStorage !== false;
  }

  /** Clears the previous request at the start of each HTTP request (see the class TSDoc). */
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

  /**
   * Makes `request` the current request for the rest of the current asynchronous flow
   * (`AsyncLocalStorage#enterWith`). nestjs-warden's global guard calls it on every HTTP
   * request; code of your own that has a request outside it should prefer {@link run}.
   * Does nothing under `contextStorage: false`.
   */
  enter(request: AuthRequest): void {
    if (this.enabled) this.storage.enterWith(request);
  }

  /**
   * Runs `fn` with `request` as the current request (a WebSocket or microservice handler, a
   * test) and returns what it returns.
   *
   * @throws TypeError under `contextStorage: false`.
   */
  run<T>(request: AuthRequest, fn: () => T): T {
    this.assertEnabled();
    return this.storage.run(request, fn);
  }

  /**
   * The current request, if any.
   *
   * @throws TypeError under `contextStorage: false`.
   */
  get request(): AuthRequest | undefined {
    this.assertEnabled();
    return this.storage.getStore();
  }

  /**
   * `request.context` of the current request; `undefined` outside a request, and before the
   * global guard has authenticated it.
   *
   * @throws TypeError under `contextStorage: false`.
   */
  get context(): RequestContext | undefined {
    return this.request?.context;
  }

  /**
   * The current user id, or `null` (anonymous, or outside a request).
   *
   * @throws TypeError under `contextStorage: false`.
   */
  get userId(): string | null {
    return this.context?.userId ?? null;
  }

  /**
   * The current user, loaded through `userLoader` at most once per request; `null` when
   * anonymous or outside a request.
   *
   * @throws TypeError under `contextStorage: false`.
   */
  async getUser<T = unknown>(): Promise<T | null> {
    const request = this.request;
    if (request?.context === undefined || request.context.authBackend === null) return null;
    return ((await request.user) as T | null) ?? null;
  }

  private assertEnabled(): void {
    if (!this.enabled) {
      throw new TypeError(
        'AuthContextService: AuthModule is configured with `contextStorage: false`, so there is no current request to read: ' +
          'remove that option (the scope is on by default), or read the request with @AuthContext() / @Req().',
      );
    }
  }
}

function isEmitter(value: unknown): value is EventEmitter {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<EventEmitter>).prependListener === 'function' &&
    typeof (value as Partial<EventEmitter>).removeListener === 'function'
  );
}
