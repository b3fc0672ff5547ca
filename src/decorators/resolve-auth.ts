import type { Reflector } from '@nestjs/core';
import { AUTH_METADATA, PERMISSIONS_METADATA, ROLES_METADATA, SCOPES_METADATA } from '../auth.constants.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { Guard } from '../guards/guard.interface.js';
import { HasAllPermissions } from '../guards/permission.guards.js';
import { HasAllRoles, HasAllScopes } from '../guards/role.guards.js';
import type { AuthMetadata } from './auth.decorator.js';

/** A handler's `@Public()` / `@Auth()` resolved: `undefined` fields fall back to the module. */
export type ResolvedAuth = { public: true } | { public: false; authentication?: AuthenticationBackendRef[]; guards?: Guard[] };

/**
 * Method over class over module, each field on its own; a nearer `@Auth()` cancels a
 * farther `@Public()`, and its unset fields come from the next level that sets them.
 * The one place this rule lives: the global guard and the OpenAPI integration both use it.
 *
 * Throws a `TypeError` naming the class and handler for a public handler with
 * `@Permissions()`, `@Roles()` or `@Scopes()` at either level: a public handler runs no guard,
 * so they would silently not apply (the global guard resolves every handler at start-up).
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

/** The decorators that add a requirement to a handler's guards: each adds one guard, from the method's and the class's names together. */
export const REQUIREMENTS = [
  { key: PERMISSIONS_METADATA, decorator: '@Permissions', kind: 'permissions', guard: HasAllPermissions },
  { key: ROLES_METADATA, decorator: '@Roles', kind: 'roles', guard: HasAllRoles },
  { key: SCOPES_METADATA, decorator: '@Scopes', kind: 'scopes', guard: HasAllScopes },
] as const;

/**
 * The guards `@Permissions()`, `@Roles()` and `@Scopes()` add to a non-public handler: one per
 * decorator used, requiring every name declared on the method and on the class (both apply).
 */
export function requirementGuards(reflector: Reflector, handler: Function, controller: Function): Guard[] {
  const guards: Guard[] = [];
  for (const { key, guard } of REQUIREMENTS) {
    const names = reflector.getAllAndMerge<string[]>(key, [handler, controller]);
    if (names.length > 0) guards.push(guard(...new Set(names)));
  }
  return guards;
}

function assertNoPermissions(reflector: Reflector, handler: Function, controller: Function, publicAt: string): void {
  const declared: string[] = [];
  const kinds: string[] = [];
  const decorators: string[] = [];
  for (const { key, decorator, kind } of REQUIREMENTS) {
    const [onMethod, onClass] = reflector.getAll<(string[] | undefined)[]>(key, [handler, controller]);
    if (onMethod === undefined && onClass === undefined) continue;
    const list = (names: string[]): string => `${decorator}(${names.map((name) => `'${name}'`).join(', ')})`;
    if (onMethod !== undefined) declared.push(`${list(onMethod)} on the method`);
    if (onClass !== undefined) declared.push(`${list(onClass)} on the class`);
    kinds.push(kind);
    decorators.push(`${decorator}()`);
  }
  if (declared.length === 0) return;
  throw new TypeError(
    `${controller.name}.${handler.name} is public (@Public() ${publicAt}) but has ${declared.join(' and ')}: ` +
      `a public handler runs no guard, so the ${kinds.join(' and ')} would never be checked. ` +
      `Remove @Public() to require them, or remove ${decorators.join(' and ')} if the handler is meant to be open ` +
      '(a method @Auth() under a class @Public() makes that method non-public).',
  );
}
