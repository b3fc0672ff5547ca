import { SetMetadata } from '@nestjs/common';
import { ROLES_METADATA } from '../auth.constants.js';
import { requireNames } from '../guards/role.guards.js';

/**
 * Requires every listed role in `request.context.roles` (adds `HasAllRoles(...roles)` to the
 * guards in force): anonymous 401 `credentials_missing`, a missing role 403 `permission_denied`.
 * On a class and a method, both lists apply: the method cannot loosen the class. For either of
 * several roles, use the guard `HasAnyRole(...)` in `@Auth({ guards })` or `@UseGuards()`.
 * Refused at start-up on or under a `@Public()` handler, like `@Permissions()`.
 *
 * @example
 * ```ts
 * @Roles('admin')
 * @Delete('users/:id')
 * remove() {}
 * ```
 */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_METADATA, requireNames('@Roles', 'role', roles));
