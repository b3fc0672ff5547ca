import type { CanActivate } from '@nestjs/common';

/**
 * A permission check run after authentication, in the order given. It is a NestJS
 * `CanActivate`, so every guard also works in `@UseGuards()`. Returning `false` answers
 * 403 `permission_denied` (401 `credentials_missing` when the request is anonymous);
 * throw an `AuthError` for another code.
 *
 * @example
 * ```ts
 * class IsWeekday extends PermissionGuard {
 *   protected check(): boolean { return ![0, 6].includes(new Date().getDay()); }
 * }
 * ```
 */
export type Guard = CanActivate;
