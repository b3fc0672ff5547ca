import type { Reflector } from '@nestjs/core';
import { AUTH_METADATA } from '../auth.constants.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { Guard } from '../guards/guard.interface.js';
import type { AuthMetadata } from './auth.decorator.js';

/** A handler's `@Public()` / `@Auth()` resolved: `undefined` fields fall back to the module. */
export type ResolvedAuth = { public: true } | { public: false; authentication?: AuthenticationBackendRef[]; guards?: Guard[] };

/**
 * Method over class over module, each field on its own; a nearer `@Auth()` cancels a
 * farther `@Public()`, and its unset fields come from the next level that sets them.
 * The one place this rule lives: the global guard and the OpenAPI integration both use it.
 */
export function resolveAuth(reflector: Reflector, handler: Function, controller: Function): ResolvedAuth {
  const [onMethod, onClass] = reflector.getAll<(AuthMetadata | undefined)[]>(AUTH_METADATA, [handler, controller]);
  const nearest = onMethod ?? onClass;
  if (nearest?.public === true) return { public: true };
  const levels = [onMethod, onClass].filter(
    (level): level is Exclude<AuthMetadata, { public: true }> => level !== undefined && level.public !== true,
  );
  return {
    public: false,
    authentication: levels.find((level) => level.authentication !== undefined)?.authentication,
    guards: levels.find((level) => level.guards !== undefined)?.guards,
  };
}
