import type { RequestContext } from '../context/request-context.interface.js';
import type { Guard } from './guard.interface.js';
import { guardFactory, PermissionGuard } from './permission.guards.js';

/** What a guard of this file compares: the context's roles or its OAuth2 scopes. */
type Held = 'roles' | 'scopes';

/**
 * Requires names among the context's roles or scopes (filled from the credential, no database):
 * every one of them (`all`) or at least one (`any`). Anonymous: 401; missing: 403 `permission_denied`.
 */
class HeldNamesGuard extends PermissionGuard {
  constructor(
    /** The factory it was made by (`HasAnyRole`), for the security report. */
    private readonly factory: string,
    private readonly held: Held,
    private readonly names: readonly string[],
    private readonly mode: 'all' | 'any',
  ) {
    super();
  }

  protected check(context: RequestContext): boolean {
    // A context made by hand (a custom guard, an older build) may lack the list: it holds nothing.
    const held: readonly string[] = context[this.held] ?? [];
    return this.mode === 'all' ? this.names.every((name) => held.includes(name)) : this.names.some((name) => held.includes(name));
  }

  /** `HasAnyRole(admin, manager)`: the call that made it, as the security report names it. */
  override toString(): string {
    return `${this.factory}(${this.names.join(', ')})`;
  }
}

/**
 * The names a role or scope guard is given, checked where it is made: an empty list, or an
 * empty or non-string name, would make a check that allows everyone (`any` of nothing) or
 * that reads as a requirement and is none.
 */
export function requireNames(name: string, kind: string, names: readonly unknown[]): string[] {
  if (names.length === 0 || names.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`${name}() needs at least one ${kind} name (a non-empty string); an empty list would allow everyone`);
  }
  return [...new Set(names as string[])];
}

/** Requests whose context holds `role` (`request.context.roles`). */
export const HasRole: (role: string) => Guard = guardFactory(
  'HasRole',
  (role: string): Guard => new HeldNamesGuard('HasRole', 'roles', requireNames('HasRole', 'role', [role]), 'all'),
);
/**
 * Requests whose context holds at least one of `roles`.
 *
 * @example
 * ```ts
 * @Auth({ guards: [HasAnyRole('admin', 'moderator')] })
 * @Delete('posts/:id')
 * remove() {}
 * ```
 */
export const HasAnyRole: (...roles: string[]) => Guard = guardFactory(
  'HasAnyRole',
  (...roles: string[]): Guard => new HeldNamesGuard('HasAnyRole', 'roles', requireNames('HasAnyRole', 'role', roles), 'any'),
);
/** Requests whose context holds every one of `roles` (what `@Roles(...roles)` adds). */
export const HasAllRoles: (...roles: string[]) => Guard = guardFactory(
  'HasAllRoles',
  (...roles: string[]): Guard => new HeldNamesGuard('HasAllRoles', 'roles', requireNames('HasAllRoles', 'role', roles), 'all'),
);
/** Requests whose token grants the OAuth2 scope `scope` (`request.context.scopes`). */
export const HasScope: (scope: string) => Guard = guardFactory(
  'HasScope',
  (scope: string): Guard => new HeldNamesGuard('HasScope', 'scopes', requireNames('HasScope', 'scope', [scope]), 'all'),
);
/** Requests whose token grants at least one of `scopes`. */
export const HasAnyScope: (...scopes: string[]) => Guard = guardFactory(
  'HasAnyScope',
  (...scopes: string[]): Guard => new HeldNamesGuard('HasAnyScope', 'scopes', requireNames('HasAnyScope', 'scope', scopes), 'any'),
);
/** Requests whose token grants every one of `scopes` (what `@Scopes(...scopes)` adds). */
export const HasAllScopes: (...scopes: string[]) => Guard = guardFactory(
  'HasAllScopes',
  (...scopes: string[]): Guard => new HeldNamesGuard('HasAllScopes', 'scopes', requireNames('HasAllScopes', 'scope', scopes), 'all'),
);
