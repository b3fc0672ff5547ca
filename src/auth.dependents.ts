import type { Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';

/** A module of the app, and one of its providers, controllers, enhancers or middleware, as `ModulesContainer` gives them. */
type AppModule = ModulesContainer extends Map<string, infer M> ? M : never;
type Wrapper = AppModule['providers'] extends Map<unknown, infer W> ? W : never;

/**
 * The providers, controllers, enhancers and middleware of the app that were given `service`
 * (or a subclass of it) by dependency injection: a constructor parameter (`forwardRef()`
 * included), an `@Inject()` property, a factory's `inject`, REQUEST scope included. Named by
 * their token, for messages.
 *
 * It reads the dependencies Nest resolved for each instance wrapper, through public API only
 * (no metadata keys), so it must run once every instance exists: in `onModuleInit` or later
 * (middleware is resolved by then too). A service reached only dynamically (`moduleRef.get()`)
 * is not seen.
 */
export function dependentsOf(modules: ModulesContainer, service: Type): string[] {
  const found = new Set<string>();
  for (const moduleRef of modules.values()) {
    for (const collection of [moduleRef.providers, moduleRef.controllers, moduleRef.injectables, moduleRef.middlewares]) {
      for (const wrapper of collection.values()) {
        if (dependencies(wrapper).some((token) => isService(token, service))) found.add(nameOf(wrapper.token));
      }
    }
  }
  return [...found];
}

function dependencies(wrapper: Wrapper): unknown[] {
  return [
    ...(wrapper.getCtorMetadata() ?? []).map((dependency) => dependency?.token),
    ...(wrapper.getPropertiesMetadata() ?? []).map((property) => property.wrapper.token),
  ];
}

function isService(token: unknown, service: Type): boolean {
  return token === service || (typeof token === 'function' && token.prototype instanceof service);
}

function nameOf(token: unknown): string {
  return typeof token === 'function' ? token.name : String(token);
}
