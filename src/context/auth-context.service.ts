import { Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { dependentsOf } from '../auth.dependents.js';
import type { AuthRequest } from './auth-request.interface.js';
import { ContextStorage } from './context-storage.js';
import type { RequestContext } from './request-context.interface.js';

/**
 * The current request's authentication, for services, without REQUEST-scoped providers:
 * an `AsyncLocalStorage` carries the request through the handler and everything it starts,
 * whatever it returns (a value, a Promise, an Observable subscribed later, even a delayed
 * one, an `@Sse()` stream, a `StreamableFile`) and in exception filters.
 *
 * The scope is on when the app reads it: some class of the app injects this service (seen
 * at start-up through Nest's resolved dependencies), or `AuthModule` is given
 * `contextStorage: true`. On Node 20 an active `AsyncLocalStorage` runs a hook on every
 * promise (measured on the bench rows: about 15% of a JWT request's server CPU on Fastify,
 * 3-5% on Express), so an app that never reads the service does not pay for it. A service
 * reached only through `moduleRef.get()` is not seen: set `contextStorage: true` then, or
 * every read throws a `TypeError` that says so.
 *
 * The global guard enters the scope (`AsyncLocalStorage#enterWith`) first thing on every HTTP
 * request, so it holds from the guard to the end of the request with no interceptor,
 * middleware or extra Observable per request. The alternatives measured worse: an
 * interceptor's `run()` ends when the handler returns, so a lazy Observable (`defer()`,
 * `delay()`) subscribed afterwards read nothing, and it cost a JWT request 40% of its server
 * CPU on Fastify; a `run()` middleware on every route is correct but costs 25-30% there.
 * `enterWith` leaves the request on the connection's async resource once the guard returns,
 * so each incoming HTTP request clears it first (a listener on the server's `request`
 * event): code that runs before the guard (middleware, guards registered ahead of it) reads
 * `undefined`, never the previous request of the same keep-alive connection.
 *
 * Outside a request the global guard saw (a scheduled job) the getters read `undefined` /
 * `null`; wrap such code in {@link AuthContextService.run | run()}.
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
export class AuthContextService implements OnModuleInit {
  constructor(
    private readonly storage: ContextStorage = new ContextStorage(),
    @Optional() private readonly modules?: ModulesContainer,
  ) {}

  /** With `contextStorage` left out, turns the scope on only when a class of the app injects this service. */
  onModuleInit(): void {
    if (this.modules !== undefined) this.storage.decide(dependentsOf(this.modules, AuthContextService));
  }

  /**
   * Runs `fn` with `request` as the current request (a test, a job started on behalf of a
   * request) and returns what it returns.
   *
   * @throws TypeError when the scope is off (see the class TSDoc).
   */
  run<T>(request: AuthRequest, fn: () => T): T {
    return this.storage.run(request, fn);
  }

  /**
   * The current request, if any.
   *
   * @throws TypeError when the scope is off (see the class TSDoc).
   */
  get request(): AuthRequest | undefined {
    return this.storage.current();
  }

  /**
   * `request.context` of the current request; `undefined` outside a request, and before the
   * global guard has authenticated it.
   *
   * @throws TypeError when the scope is off (see the class TSDoc).
   */
  get context(): RequestContext | undefined {
    return this.request?.context;
  }

  /**
   * The current user id, or `null` (anonymous, or outside a request).
   *
   * @throws TypeError when the scope is off (see the class TSDoc).
   */
  get userId(): string | null {
    return this.context?.userId ?? null;
  }

  /**
   * The current user, loaded through `userLoader` at most once per request; `null` when
   * anonymous or outside a request.
   *
   * @throws TypeError when the scope is off (see the class TSDoc).
   */
  async getUser<T = unknown>(): Promise<T | null> {
    const request = this.request;
    if (request?.context === undefined || request.context.authBackend === null) return null;
    return ((await request.user) as T | null) ?? null;
  }
}
