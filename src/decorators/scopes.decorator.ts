import { SetMetadata } from '@nestjs/common';
import { SCOPES_METADATA } from '../auth.constants.js';
import { requireNames } from '../guards/role.guards.js';

/**
 * Requires every listed OAuth2 scope in `request.context.scopes` (the token's `scope` / `scp`;
 * adds `HasAllScopes(...scopes)` to the guards in force): anonymous 401, a missing scope 403
 * `permission_denied`. On a class and a method, both lists apply. Refused at start-up on or
 * under a `@Public()` handler, like `@Permissions()`.
 *
 * @example
 * ```ts
 * @Scopes('orders:read')
 * @Get('orders')
 * list() {}
 * ```
 */
export const Scopes = (...scopes: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPES_METADATA, requireNames('@Scopes', 'scope', scopes));
