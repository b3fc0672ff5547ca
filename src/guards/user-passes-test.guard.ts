import type { ExecutionContext } from '@nestjs/common';
import { isPending, refusal, type MaybePromise } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { RequestContext } from '../context/request-context.interface.js';
import { requestOf } from '../contexts/request-of.js';
import type { Guard } from './guard.interface.js';
import { guardFactory } from './permission.guards.js';

/**
 * The predicate of {@link UserPassesTest}: the request's context, and `user()`, which loads the
 * user (the memoised `request.user`: `userLoader` runs only if the predicate calls it, at most
 * once per request, shared with `@CurrentUser()`). Only `true` lets the request through.
 */
export type UserTest<User = unknown> = (context: Readonly<RequestContext>, user: () => Promise<User>) => MaybePromise<boolean>;

class UserPassesTestGuard implements Guard {
  constructor(private readonly test: UserTest) {}

  canActivate(executionContext: ExecutionContext): boolean | Promise<boolean> {
    const request = requestOf(executionContext);
    const context = request?.context;
    // Anonymous (or no context at all): 401, and the predicate never sees a missing user.
    if (request === undefined || context === undefined || context.authBackend === null) throw refusal(context);
    const answer = this.test(context, userOf(request));
    if (!isPending(answer)) return verdict(answer, context);
    return answer.then((passed) => verdict(passed, context));
  }

  /** As the security report names it: the factory, not this class. */
  toString(): string {
    return 'UserPassesTest';
  }
}

/** The lazy `user()` a predicate receives: reading `request.user` is what loads it, so it is read only on call. */
function userOf(request: AuthRequest): () => Promise<unknown> {
  return () => Promise.resolve(request.user);
}

/** Only `true` passes: a predicate that forgets to return (`undefined`) or returns a truthy value refuses. */
function verdict(passed: unknown, context: RequestContext): true {
  if (passed !== true) throw refusal(context);
  return true;
}

/**
 * A guard from a predicate, sync or async: `true` lets the request in, anything else is 403
 * `permission_denied`; an anonymous request is 401 `credentials_missing` before the predicate
 * runs. An `AuthError` the predicate throws (or `user()` rejects with: 401 `user_inactive`,
 * 503 `auth_unavailable`) is the answer; any other throw is the app's error, as in a handler.
 *
 * @example
 * ```ts
 * const OwnsAccount = UserPassesTest<User>(async (context, user) => (await user()).accountId === context.claims.account);
 *
 * @Auth({ guards: [OwnsAccount] })
 * @Get('account')
 * account() {}
 * ```
 */
export const UserPassesTest: <User = unknown>(test: UserTest<User>) => Guard = guardFactory('UserPassesTest', (test: UserTest): Guard => {
  if (typeof test !== 'function') throw new TypeError('UserPassesTest() needs a predicate: (context, user) => boolean | Promise<boolean>');
  return new UserPassesTestGuard(test);
}) as <User = unknown>(test: UserTest<User>) => Guard;
