import { UserInactiveError } from '../auth.errors.js';
import { askWithin } from '../auth.policy.js';
import type { AuthResult, AuthUser, RequestContext } from './request-context.interface.js';

/**
 * The user rules, each written once: how the app's `userLoader` is called (bounded, failing
 * closed), what a loaded user means for a request (`AuthResult`), and what `request.user` is
 * without a loader (a user built from the context).
 */

/** The app's `userLoader` as the module calls it: always a Promise, `null` when there is no user. */
export type LoadUser = (context: RequestContext) => Promise<unknown>;

const LOADER_FAILED = 'The user loader did not answer';

/**
 * Binds the app's loader to the user-loading policy: a throw or a rejection is 503
 * `auth_unavailable`, and so is an answer later than `timeoutMs` (a loader that never
 * settles must not hang the request); `undefined` reads as `null` (no user). An `AuthError`
 * the loader throws on purpose passes as it is.
 */
export function bindUserLoader(load: (context: RequestContext) => unknown, timeoutMs: number): LoadUser {
  return async (context) => (await askWithin(() => load(context), timeoutMs, LOADER_FAILED)) ?? null;
}

/**
 * What `request.user` resolves to once loaded on an authenticated request: a `null` user
 * (the loader found none: deleted or disabled since the credential was issued) is 401
 * `user_inactive`, never a handler running with no user.
 */
export function activeUser(user: unknown): unknown {
  if (user === null || user === undefined) throw new UserInactiveError();
  return user;
}

/**
 * A loaded user as a backend's result (the session's user, a passport strategy's user):
 * `isStaff` / `isSuperuser` are `true` only when the user says exactly `true`, `permissions`
 * keeps the user's strings (copied: a handler never reaches the user's own array), and the
 * user itself becomes `request.user` without a second load.
 *
 * @param userId the id the credential names; by default the user's `id`, else its `username`.
 */
export function resultFromUser(user: unknown, userId?: string): AuthResult {
  const fields = user as { id?: unknown; username?: unknown; isStaff?: unknown; isSuperuser?: unknown };
  const id = userId ?? fields.id ?? fields.username;
  return {
    userId: typeof id === 'string' || typeof id === 'number' ? String(id) : null,
    user,
    isStaff: fields.isStaff === true,
    isSuperuser: fields.isSuperuser === true,
    permissions: userPermissions(user),
    ...(Array.isArray((user as { roles?: unknown } | null)?.roles) ? { roles: userRoles(user) } : {}),
  };
}

/** A loaded user's roles: the strings of its `roles` array, copied; anything else is none. */
export function userRoles(user: unknown): string[] {
  const roles = (user as { roles?: unknown } | null | undefined)?.roles;
  return Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string' && role !== '') : [];
}

/**
 * A loaded user's permissions: the strings of its `permissions` array, copied (a handler never
 * reaches the user's own array); anything else, or no such field, is none.
 */
export function userPermissions(user: unknown): string[] {
  const permissions = (user as { permissions?: unknown } | null | undefined)?.permissions;
  return Array.isArray(permissions) ? permissions.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * `request.user` without a `userLoader`: the user the context describes (`userId` → `id`,
 * the `username` claim, the flags, permissions, and roles when it has some), or `null` when it names no user.
 */
export function userFromContext(context: RequestContext): AuthUser | null {
  if (context.userId === null) return null;
  const username = context.claims.username;
  return {
    id: context.userId,
    ...(typeof username === 'string' ? { username } : {}),
    isStaff: context.isStaff,
    isSuperuser: context.isSuperuser,
    permissions: context.permissions,
    ...(context.roles.length > 0 ? { roles: context.roles } : {}),
  };
}

/**
 * `permissionsFrom: 'user'`: what a JWT-authenticated request may do is the loaded user's now,
 * not what its token said when it was issued: the user's permissions and roles (the rules of
 * {@link userPermissions} and {@link userRoles}) replace the token's. Scopes stay the token's:
 * they are what the user delegated to that token.
 */
export function applyUserAuthority(context: RequestContext, user: unknown): void {
  context.permissions = userPermissions(user);
  context.roles = userRoles(user);
}
