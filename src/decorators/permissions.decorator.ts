import { SetMetadata } from '@nestjs/common';
import { PERMISSIONS_METADATA } from '../auth.constants.js';

/**
 * Requires every listed permission (adds `HasAllPermissions(...permissions)` to the guards
 * in force). On a class and a method, both lists apply: the method cannot loosen the class.
 *
 * @example
 * ```ts
 * @Permissions('reports:read')
 * @Get('reports')
 * reports() {}
 * ```
 */
export const Permissions = (...permissions: string[]): MethodDecorator & ClassDecorator => {
  if (permissions.length === 0 || permissions.some((permission) => typeof permission !== 'string' || permission === '')) {
    throw new TypeError('@Permissions() needs at least one permission name; an empty list would allow everyone');
  }
  return SetMetadata(PERMISSIONS_METADATA, permissions);
};
