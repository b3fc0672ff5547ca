import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor, type Type } from '@nestjs/common';
import { PARAMTYPES_METADATA, PROPERTY_DEPS_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import type { ModulesContainer } from '@nestjs/core';
import type { Observable } from 'rxjs';
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

/** An injection token as Nest records it: a class, a string, a symbol, or a `forwardRef()`. */
type Dependency = unknown;

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
 * as a dependency: constructor parameters (`design:paramtypes`, `@Inject()`), property
 * injection, or a factory's `inject`. Runs once, at start-up, on metadata the scan collected.
 */
export function injectsAuthContext(modules: ModulesContainer): boolean {
  for (const moduleRef of modules.values()) {
    for (const collection of [moduleRef.providers, moduleRef.controllers, moduleRef.injectables, moduleRef.middlewares]) {
      for (const wrapper of collection?.values() ?? []) {
        const metatype = wrapper.metatype as Type | ((...args: never[]) => unknown) | null | undefined;
        if (metatype === contextStorageInterceptor || metatype == null) continue;
        const dependencies: Dependency[] = wrapper.inject ? [...wrapper.inject] : classDependencies(metatype);
        if (dependencies.some(isAuthContextService)) return true;
      }
    }
  }
  return false;
}

function classDependencies(metatype: object): Dependency[] {
  const declared = (Reflect.getMetadata(PARAMTYPES_METADATA, metatype) as Dependency[] | undefined) ?? [];
  const overridden = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, metatype) as { param: Dependency }[] | undefined) ?? [];
  const properties = (Reflect.getMetadata(PROPERTY_DEPS_METADATA, metatype) as { type: Dependency }[] | undefined) ?? [];
  return [...declared, ...overridden.map((entry) => entry.param), ...properties.map((entry) => entry.type)];
}

function isAuthContextService(dependency: Dependency): boolean {
  let token = dependency;
  if (typeof token === 'object' && token !== null) {
    // `{ token, optional }` in a factory's `inject`, or `forwardRef(() => AuthContextService)`.
    if ('token' in token) token = token.token;
    if (typeof token === 'object' && token !== null && 'forwardRef' in token && typeof token.forwardRef === 'function') {
      token = (token.forwardRef as () => unknown)();
    }
  }
  return token === AuthContextService || (typeof token === 'function' && token.prototype instanceof AuthContextService);
}
