import type { AuthResult, RequestContext } from './request-context.interface.js';

/** The context of a request that carries no (accepted) credential. */
export function anonymousContext(): RequestContext {
  return { userId: null, isStaff: false, isSuperuser: false, authBackend: null, permissions: [], roles: [], scopes: [], claims: {} };
}

/** The context a backend's result gives (missing flags → `false`, missing lists → empty). */
export function contextFrom(result: AuthResult, backend: string): RequestContext {
  return {
    userId: result.userId,
    isStaff: result.isStaff ?? false,
    isSuperuser: result.isSuperuser ?? false,
    authBackend: backend,
    permissions: result.permissions ?? [],
    roles: result.roles ?? [],
    scopes: result.scopes ?? [],
    claims: result.claims ?? {},
  };
}
