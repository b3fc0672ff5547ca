import { createParamDecorator, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { requestOf } from '../contexts/request-of.js';

/** Awaits the lazily loaded user, so the handler receives the user itself. */
class AwaitUserPipe implements PipeTransform {
  transform(value: unknown): unknown {
    return value;
  }
}

const userParam = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const request = requestOf(context);
  return request?.context?.authBackend == null ? null : request.user;
});

/**
 * Parameter decorator: the current user, loaded through `userLoader` on first use and at
 * most once per request (without a loader, a user built from the claims); `null` on an
 * anonymous request. A loader that finds no user (`null`) makes the request 401
 * `user_inactive`; one that fails or outlasts `userLoaderTimeoutMs`, 503 `auth_unavailable`.
 *
 * @example
 * ```ts
 * @Get('me')
 * me(@CurrentUser() user: User) { return user; }
 * ```
 */
export const CurrentUser = (): ParameterDecorator => userParam(undefined, new AwaitUserPipe());
