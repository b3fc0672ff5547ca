import type { ExecutionContext } from '@nestjs/common';
import { FreshTokenRequiredError } from '../auth.errors.js';
import { isAnonymous, refusal } from '../auth.policy.js';
import type { RequestContext } from '../context/request-context.interface.js';
import { requestOf } from '../contexts/request-of.js';
import type { Guard } from './guard.interface.js';

/**
 * Base class of the built-in guards: reads `request.context` (set by the global guard),
 * answers 401 for an anonymous request, and 403 when {@link check} says no.
 * Extend it for a custom permission class.
 */
export abstract class PermissionGuard implements Guard {
  canActivate(executionContext: ExecutionContext): boolean {
    const context = requestOf(executionContext)?.context;
    if (isAnonymous(context)) throw refusal(context);
    if (!this.check(context)) throw this.denied(context);
    return true;
  }

  /** Whether the authenticated request may proceed. */
  protected abstract check(context: RequestContext): boolean;

  /**
   * The error answered when {@link check} says no to an authenticated request.
   * @default 403 `permission_denied`
   */
  protected denied(context: RequestContext): Error {
    return refusal(context);
  }
}

class IsAuthenticatedGuard extends PermissionGuard {
  protected check(): boolean {
    return true;
  }
}

class AllowAnyGuard implements Guard {
  canActivate(): boolean {
    return true;
  }
}

class IsAdminGuard extends PermissionGuard {
  protected check(context: RequestContext): boolean {
    return context.isSuperuser;
  }
}

class IsStaffGuard extends PermissionGuard {
  protected check(context: RequestContext): boolean {
    return context.isStaff;
  }
}

class IsFreshGuard extends PermissionGuard {
  protected check(context: RequestContext): boolean {
    return context.claims.fresh === true;
  }

  protected override denied(): Error {
    return new FreshTokenRequiredError();
  }
}

class PermissionsGuard extends PermissionGuard {
  constructor(
    /** The factory it was made by (`HasAnyPermission`), for the security report. */
    private readonly factory: string,
    private readonly permissions: readonly string[],
    private readonly mode: 'all' | 'any',
  ) {
    super();
  }

  protected check(context: RequestContext): boolean {
    const held = context.permissions;
    return this.mode === 'all'
      ? this.permissions.every((permission) => held.includes(permission))
      : this.permissions.some((permission) => held.includes(permission));
  }

  /** `HasAllPermissions(orders:read, orders:write)`: the call that made it, as the security report names it. */
  override toString(): string {
    return `${this.factory}(${this.permissions.join(', ')})`;
  }
}

function requirePermissions(name: string, permissions: string[]): string[] {
  if (permissions.length === 0 || permissions.some((permission) => typeof permission !== 'string' || permission === '')) {
    throw new TypeError(`${name}() needs at least one permission name; an empty list would allow everyone`);
  }
  return [...permissions];
}

/**
 * Makes a guard factory that refuses to be used as a guard class. `@UseGuards(IsAdmin)` (the
 * factory passed uncalled) type-checks, because `@UseGuards()` also takes classes; Nest then
 * constructs the value with `new` while it builds the app, before any hook of this module
 * runs. A factory made here answers that `new` with the fix, so the app refuses to start
 * with a message instead of Nest's "metatype is not a constructor".
 */
export function guardFactory<A extends unknown[]>(name: string, create: (...args: A) => Guard): (...args: A) => Guard {
  const factory = function (...args: A): Guard {
    if (new.target !== undefined) {
      throw new TypeError(
        `${name} is a guard factory, not a guard class: call it, @UseGuards(${name}()) (it was passed uncalled, e.g. @UseGuards(${name}))`,
      );
    }
    return create(...args);
  };
  Object.defineProperty(factory, 'name', { value: name });
  return factory;
}

/** Any authenticated request (the default guard). Anonymous requests get 401 `credentials_missing`. */
export const IsAuthenticated = guardFactory('IsAuthenticated', (): Guard => new IsAuthenticatedGuard());
/** Every request, authenticated or not. With `@Auth({ guards: [AllowAny()] })` authentication becomes optional. */
export const AllowAny = guardFactory('AllowAny', (): Guard => new AllowAnyGuard());
/** Superusers only (`is_superuser`). */
export const IsAdmin = guardFactory('IsAdmin', (): Guard => new IsAdminGuard());
/** Staff only (`is_staff`). */
export const IsStaff = guardFactory('IsStaff', (): Guard => new IsStaffGuard());
/** Only tokens issued by a login (`fresh: true`), not by a refresh: 403 `fresh_token_required` otherwise. */
export const IsFresh = guardFactory('IsFresh', (): Guard => new IsFreshGuard());
/** Requests whose context holds `permission`. */
export const HasPermission: (permission: string) => Guard = guardFactory(
  'HasPermission',
  (permission: string): Guard => new PermissionsGuard('HasPermission', requirePermissions('HasPermission', [permission]), 'all'),
);
/** Requests whose context holds at least one of `permissions`. */
export const HasAnyPermission: (...permissions: string[]) => Guard = guardFactory(
  'HasAnyPermission',
  (...permissions: string[]): Guard => new PermissionsGuard('HasAnyPermission', requirePermissions('HasAnyPermission', permissions), 'any'),
);
/** Requests whose context holds every one of `permissions`. */
export const HasAllPermissions: (...permissions: string[]) => Guard = guardFactory(
  'HasAllPermissions',
  (...permissions: string[]): Guard =>
    new PermissionsGuard('HasAllPermissions', requirePermissions('HasAllPermissions', permissions), 'all'),
);
