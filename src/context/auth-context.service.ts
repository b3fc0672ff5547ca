import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { AuthRequest } from './auth-request.interface.js';
import type { RequestContext } from './request-context.interface.js';

/**
 * The current request's authentication, for services, without REQUEST-scoped providers:
 * it is carried by `AsyncLocalStorage` through the handler and everything it awaits.
 * The scope is opened when the app injects this service (found at start-up) or when
 * `AuthModule` is given `contextStorage: true`; otherwise every getter reads `undefined`.
 *
 * @example
 * ```ts
 * @Injectable()
 * export class AuditService {
 *   constructor(private readonly auth: AuthContextService) {}
 *   record(action: string) { return { action, by: this.auth.userId }; }
 * }
 * ```
 */
@Injectable()
export class AuthContextService {
  private readonly storage = new AsyncLocalStorage<AuthRequest>();

  /** Runs `fn` with `request` as the current request. */
  run<T>(request: AuthRequest, fn: () => T): T {
    return this.storage.run(request, fn);
  }

  /** The current request, if any. */
  get request(): AuthRequest | undefined {
    return this.storage.getStore();
  }

  /** `request.context` of the current request; `undefined` outside a request. */
  get context(): RequestContext | undefined {
    return this.storage.getStore()?.context;
  }

  /** The current user id, or `null`. */
  get userId(): string | null {
    return this.context?.userId ?? null;
  }

  /** The current user, loaded through `userLoader` at most once per request; `null` when anonymous. */
  async getUser<T = unknown>(): Promise<T | null> {
    const request = this.storage.getStore();
    if (request?.context === undefined || request.context.authBackend === null) return null;
    return ((await request.user) as T | null) ?? null;
  }
}
