import type { AuthRequest } from './auth-request.interface.js';
import type { AuthResult, AuthUser, RequestContext } from './request-context.interface.js';

/**
 * Stores the context on the request and defines `request.user` as a lazy, memoised
 * Promise: the loader runs on first read, at most once, and never when nobody reads it.
 */
export function attachContext(
  request: AuthRequest,
  context: RequestContext,
  loadUser: ((context: RequestContext) => Promise<unknown>) | undefined,
  knownUser?: unknown,
): void {
  request.context = context;
  let user: Promise<unknown> | undefined = knownUser === undefined ? undefined : Promise.resolve(knownUser);
  Object.defineProperty(request, 'user', {
    configurable: true,
    enumerable: true,
    get(): Promise<unknown> {
      if (user === undefined) {
        if (context.authBackend === null) user = Promise.resolve(null);
        else user = loadUser === undefined ? Promise.resolve(userFromClaims(context)) : loadUser(context);
      }
      return user;
    },
    set(value: unknown): void {
      user = Promise.resolve(value);
    },
  });
}

/** The context a backend result gives. */
export function contextFrom(result: AuthResult, backend: string): RequestContext {
  return {
    userId: result.userId,
    isStaff: result.isStaff ?? false,
    isSuperuser: result.isSuperuser ?? false,
    authBackend: backend,
    permissions: result.permissions ?? [],
    claims: result.claims ?? {},
  };
}

function userFromClaims(context: RequestContext): AuthUser | null {
  if (context.userId === null) return null;
  const username = context.claims.username;
  return {
    id: context.userId,
    ...(typeof username === 'string' ? { username } : {}),
    isStaff: context.isStaff,
    isSuperuser: context.isSuperuser,
    permissions: context.permissions,
  };
}
