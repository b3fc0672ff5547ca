import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { dependentsOf } from '../auth.dependents.js';
import type { AuthModuleOptions } from '../auth.options.js';
import type { AuthRequest } from './auth-request.interface.js';
import { AuthContextService } from './auth-context.service.js';

/**
 * Runs each HTTP handler inside the request's `AsyncLocalStorage` scope, for `AuthContextService`.
 * `next.handle()` binds the async scope it is called in (Nest runs the handler through
 * `AsyncResource#runInAsyncScope`), so calling it inside `run()` is enough: no extra
 * Observable and Subscriber per request.
 */
@Injectable()
export class AuthContextInterceptor implements NestInterceptor {
  constructor(private readonly auth: AuthContextService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthRequest>();
    return this.auth.run(request, () => next.handle());
  }
}

/**
 * The `APP_INTERCEPTOR` factory: the `AsyncLocalStorage` scope `AuthContextService` reads is
 * opened only when the app uses that service. On Node 20 an active `AsyncLocalStorage`
 * installs a promise hook that every promise of every request pays for (measured: about
 * half of nestjs-warden's per-request cost on Fastify), so an app that never injects the
 * service should not pay it. Returning `null` leaves the interceptor out.
 */
export function contextStorageInterceptor(
  options: AuthModuleOptions,
  modules: ModulesContainer,
  service: AuthContextService,
): AuthContextInterceptor | null {
  const enabled = (options as AuthModuleOptions | null)?.contextStorage ?? injectsAuthContext(modules);
  return enabled ? new AuthContextInterceptor(service) : null;
}

/**
 * Whether a provider, controller, enhancer or module of the app declares `AuthContextService`
 * as a dependency (the interceptor factory's own `inject` aside). Runs once, at start-up.
 */
export function injectsAuthContext(modules: ModulesContainer): boolean {
  return dependentsOf(modules, AuthContextService, [contextStorageInterceptor]).length > 0;
}
