import type { Type } from '@nestjs/common';
import { PARAMTYPES_METADATA, PROPERTY_DEPS_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import type { ModulesContainer } from '@nestjs/core';

/** An injection token as Nest records it: a class, a string, a symbol, or a `forwardRef()`. */
type Dependency = unknown;

/**
 * The providers, controllers, enhancers, middleware and modules of the app that declare
 * `service` (or a subclass of it) as a dependency: constructor parameters
 * (`design:paramtypes`, `@Inject()`), property injection, or a factory's `inject`. Named
 * by their token, for messages. Runs at start-up, on the metadata Nest's scan collected,
 * so a service reached only dynamically (`moduleRef.get()`) is not seen.
 *
 * @param skip factories of nestjs-warden's own providers that inject `service` themselves.
 */
export function dependentsOf(modules: ModulesContainer, service: Type, skip: readonly Function[] = []): string[] {
  const found: string[] = [];
  for (const moduleRef of modules.values()) {
    for (const collection of [moduleRef.providers, moduleRef.controllers, moduleRef.injectables, moduleRef.middlewares]) {
      for (const wrapper of collection?.values() ?? []) {
        const metatype = wrapper.metatype as Type | ((...args: never[]) => unknown) | null | undefined;
        if (metatype == null || skip.includes(metatype)) continue;
        const dependencies: Dependency[] = wrapper.inject ? [...wrapper.inject] : classDependencies(metatype);
        if (dependencies.some((dependency) => isService(dependency, service))) found.push(nameOf(wrapper.token));
      }
    }
  }
  return [...new Set(found)];
}

function classDependencies(metatype: object): Dependency[] {
  const declared = (Reflect.getMetadata(PARAMTYPES_METADATA, metatype) as Dependency[] | undefined) ?? [];
  const overridden = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, metatype) as { param: Dependency }[] | undefined) ?? [];
  const properties = (Reflect.getMetadata(PROPERTY_DEPS_METADATA, metatype) as { type: Dependency }[] | undefined) ?? [];
  return [...declared, ...overridden.map((entry) => entry.param), ...properties.map((entry) => entry.type)];
}

function isService(dependency: Dependency, service: Type): boolean {
  let token = dependency;
  if (typeof token === 'object' && token !== null) {
    // `{ token, optional }` in a factory's `inject`, or `forwardRef(() => Service)`.
    if ('token' in token) token = token.token;
    if (typeof token === 'object' && token !== null && 'forwardRef' in token && typeof token.forwardRef === 'function') {
      token = (token.forwardRef as () => unknown)();
    }
  }
  return token === service || (typeof token === 'function' && token.prototype instanceof service);
}

function nameOf(token: unknown): string {
  return typeof token === 'function' ? token.name : String(token);
}
