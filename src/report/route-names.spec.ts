import { describe, expect, it } from 'vitest';
import type { Guard } from '../guards/guard.interface.js';
import {
  AllowAny,
  HasAllPermissions,
  HasAnyPermission,
  HasPermission,
  IsAdmin,
  IsAuthenticated,
  IsFresh,
  IsStaff,
  PermissionGuard,
} from '../guards/permission.guards.js';
import { HasAllRoles, HasAllScopes, HasAnyRole, HasAnyScope, HasRole, HasScope } from '../guards/role.guards.js';
import { AuthenticatedWithin, RequiresAcr } from '../guards/step-up.guards.js';
import { UserPassesTest } from '../guards/user-passes-test.guard.js';
import { describeGuard } from './route-names.js';

class OwnsOrder extends PermissionGuard {
  protected check(): boolean {
    return true;
  }
}

describe('describeGuard: the security report names a guard as its user writes it', () => {
  it.each<[Guard, string]>([
    [IsAuthenticated(), 'IsAuthenticated'],
    [AllowAny(), 'AllowAny'],
    [IsAdmin(), 'IsAdmin'],
    [IsStaff(), 'IsStaff'],
    [IsFresh(), 'IsFresh'],
    [HasPermission('orders:read'), 'HasPermission(orders:read)'],
    [HasAnyPermission('a', 'b'), 'HasAnyPermission(a, b)'],
    [HasAllPermissions('a', 'b'), 'HasAllPermissions(a, b)'],
    [HasRole('admin'), 'HasRole(admin)'],
    [HasAnyRole('admin', 'manager'), 'HasAnyRole(admin, manager)'],
    [HasAllRoles('clerk'), 'HasAllRoles(clerk)'],
    [HasScope('orders:read'), 'HasScope(orders:read)'],
    [HasAnyScope('a', 'b'), 'HasAnyScope(a, b)'],
    [HasAllScopes('a', 'b'), 'HasAllScopes(a, b)'],
    [AuthenticatedWithin(300), 'AuthenticatedWithin(300)'],
    [RequiresAcr('mfa', 'phr'), 'RequiresAcr(mfa, phr)'],
    [UserPassesTest(() => true), 'UserPassesTest'],
    [new OwnsOrder(), 'OwnsOrder'],
    [{ canActivate: () => true }, 'anonymous guard'],
    [{ canActivate: () => true, toString: () => 'TenantMatches(acme)' } as Guard, 'TenantMatches(acme)'],
  ])('%s → %s', (guard, name) => {
    expect(describeGuard(guard)).toBe(name);
  });

  it('every factory exported for users names itself by an exported name', async () => {
    const exported = await import('../index.js');
    const names = new Set(Object.keys(exported));
    const made: Guard[] = [
      exported.HasRole('a'),
      exported.HasAnyRole('a'),
      exported.HasAllRoles('a'),
      exported.HasScope('a'),
      exported.HasAnyScope('a'),
      exported.HasAllScopes('a'),
      exported.AuthenticatedWithin(1),
      exported.RequiresAcr('mfa'),
      exported.UserPassesTest(() => true),
      exported.IsAuthenticated(),
      exported.HasAnyPermission('a'),
    ];
    for (const guard of made) expect(names).toContain(describeGuard(guard).replace(/\(.*$/, ''));
  });
});
