import type { Reflector } from '@nestjs/core';
import { AUTH_METADATA, PERMISSIONS_METADATA } from '../auth.constants.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { Guard } from '../guards/guard.interface.js';
import type { AuthMetadata } from './auth.decorator.js';

/** A handler's `@Public()` / `@Auth()` resolved: `undefined` fields fall back to the module. */
export type ResolvedAuth = { public: true } | { public: false; authentication?: AuthenticationBackendRef[]; guards?: Guard[] };

/**
 * Method over class over module, each field on its own; a nearer `@Auth()` cancels a
 * farther `@Public()`, and its unset fields come from the next level that sets them.
 * The one place this rule lives: the global guard and the OpenAPI integration both use it.
 *
 * Throws a `TypeError` naming the class and handler for a public handler with
 * `@Permissions()` at either level: a public handler runs no guard, so the permissions
 * would silently not apply (the global guard resolves every handler at start-up).
 */
export function resolveAuth(reflector: Reflector, handler: Function, controller: Function): ResolvedAuth {
  const [onMethod, onClass] = reflector.getAll<(AuthMetadata | undefined)[]>(AUTH_METADATA, [handler, controller]);
  const nearest = onMethod ?? onClass;
  if (nearest?.public === true) {
    assertNoPermissions(reflector, handler, controller, nearest === onMethod ? 'on the method' : 'on the class');
    return { public: true };
  }
  const levels = [onMethod, onClass].filter(
    (level): level is Exclude<AuthMetadata, { public: true }> => level !== undefined && level.public !== true,
  );
  return {
    public: false,
    authentication: levels.find((level) => level.authentication !== undefined)?.authentication,
    guards: levels.find((level) => level.guards !== undefined)?.guards,
  };
}

function assertNoPermissions(reflector: Reflector, handler: Function, controller: Function, publicAt: string): void {
  const [onMethod, onClass] = reflector.getAll<(string[] | undefined)[]>(PERMISSIONS_METADATA, [handler, controller]);
  if (onMethod === undefined && onClass === undefined) return;
  const declared = [
    onMethod && `@Permissions(${onMethod.map((p) => `'${p}'`).join(', ')}) on the method`,
    onClass && `@Permissions(${onClass.map((p) => `'${p}'`).join(', ')}) on the class`,
  ].filter(Boolean);
  throw new TypeError(
    `${controller.name}.${handler.name} is public (@Public() ${publicAt}) but has ${declared.join(' and ')}: ` +
      'a public handler runs no guard, so the permissions would never be checked. ' +
      'Remove @Public() to require them, or remove @Permissions() if the handler is meant to be open ' +
      '(a method @Auth() under a class @Public() makes that method non-public).',
  );
}
