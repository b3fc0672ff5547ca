import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth.errors.js';
import type { RequestContext } from '../context/request-context.interface.js';
import { anonymousContext } from '../context/request-context.js';
import type { Guard } from './guard.interface.js';
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
} from './permission.guards.js';

const user = (overrides: Partial<RequestContext> = {}): RequestContext => ({
  userId: '1',
  isStaff: false,
  isSuperuser: false,
  authBackend: 'jwt',
  permissions: [],
  roles: [],
  scopes: [],
  claims: {},
  ...overrides,
});

const contextOf = (context: RequestContext | undefined): ExecutionContext =>
  ({ getType: () => 'http', switchToHttp: () => ({ getRequest: () => ({ context }) }) }) as unknown as ExecutionContext;

function outcome(guard: Guard, context: RequestContext | undefined): string {
  try {
    return guard.canActivate(contextOf(context)) === true ? 'allow' : 'deny';
  } catch (error) {
    return (error as AuthError).code;
  }
}

describe('built-in guards', () => {
  it('IsAuthenticated: 401 for anonymous requests and for requests the module never saw', () => {
    expect(outcome(IsAuthenticated(), user())).toBe('allow');
    expect(outcome(IsAuthenticated(), anonymousContext())).toBe('credentials_missing');
    expect(outcome(IsAuthenticated(), undefined)).toBe('credentials_missing');
  });

  it('AllowAny allows everyone', () => {
    expect(outcome(AllowAny(), anonymousContext())).toBe('allow');
  });

  it('IsAdmin and IsStaff read the flags, no superuser shortcut for staff', () => {
    expect(outcome(IsAdmin(), user({ isSuperuser: true }))).toBe('allow');
    expect(outcome(IsAdmin(), user({ isStaff: true }))).toBe('permission_denied');
    expect(outcome(IsStaff(), user({ isStaff: true }))).toBe('allow');
    expect(outcome(IsStaff(), user({ isSuperuser: true }))).toBe('permission_denied');
    expect(outcome(IsStaff(), anonymousContext())).toBe('credentials_missing');
  });

  it('permission guards: one, any, all', () => {
    const ctx = user({ permissions: ['a', 'b'] });
    expect(outcome(HasPermission('a'), ctx)).toBe('allow');
    expect(outcome(HasPermission('c'), ctx)).toBe('permission_denied');
    expect(outcome(HasAnyPermission('c', 'b'), ctx)).toBe('allow');
    expect(outcome(HasAnyPermission('c', 'd'), ctx)).toBe('permission_denied');
    expect(outcome(HasAllPermissions('a', 'b'), ctx)).toBe('allow');
    expect(outcome(HasAllPermissions('a', 'c'), ctx)).toBe('permission_denied');
  });

  it('refuses an empty permission list at declaration, instead of allowing everyone', () => {
    expect(() => HasAnyPermission()).toThrow(TypeError);
    expect(() => HasAllPermissions()).toThrow(TypeError);
    expect(() => HasPermission('')).toThrow(TypeError);
  });

  it('IsFresh: 403 fresh_token_required unless the token says fresh: true', () => {
    expect(outcome(IsFresh(), user({ claims: { fresh: true } }))).toBe('allow');
    expect(outcome(IsFresh(), user({ claims: { fresh: false } }))).toBe('fresh_token_required');
    expect(outcome(IsFresh(), user({ claims: { fresh: 'true' } }))).toBe('fresh_token_required');
  });
});

// Every built-in guard against every kind of request context, decided by canActivate alone.
const contexts: Record<string, RequestContext | undefined> = {
  'no context (the module never ran)': undefined,
  anonymous: { userId: null, isStaff: false, isSuperuser: false, authBackend: null, permissions: [], roles: [], scopes: [], claims: {} },
  // An anonymous context is one without a backend, whatever else it holds.
  'a user id but no backend': user({ authBackend: null, isSuperuser: true, permissions: ['a', 'b'], claims: { fresh: true } }),
  'a plain user': user(),
  staff: user({ isStaff: true }),
  superuser: user({ isSuperuser: true }),
  "permissions ['a', 'b']": user({ permissions: ['a', 'b'] }),
  'a fresh token': user({ claims: { fresh: true } }),
  'a key with no name (userId null, backend api_key)': user({ userId: null, authBackend: 'api_key', permissions: ['a'] }),
};
const guards: Record<string, () => Guard> = {
  'IsAuthenticated()': () => IsAuthenticated(),
  'AllowAny()': () => AllowAny(),
  'IsAdmin()': () => IsAdmin(),
  'IsStaff()': () => IsStaff(),
  'IsFresh()': () => IsFresh(),
  "HasPermission('a')": () => HasPermission('a'),
  "HasAnyPermission('c', 'b')": () => HasAnyPermission('c', 'b'),
  "HasAllPermissions('a', 'b')": () => HasAllPermissions('a', 'b'),
  "HasAllPermissions('a', 'c')": () => HasAllPermissions('a', 'c'),
};
const A = 'allow';
const M = 'credentials_missing';
const D = 'permission_denied';
const F = 'fresh_token_required';
// Columns in the order of `contexts`.
const expected: Record<string, string[]> = {
  'IsAuthenticated()': [M, M, M, A, A, A, A, A, A],
  'AllowAny()': [A, A, A, A, A, A, A, A, A],
  'IsAdmin()': [M, M, M, D, D, A, D, D, D],
  'IsStaff()': [M, M, M, D, A, D, D, D, D],
  'IsFresh()': [M, M, M, F, F, F, F, A, F],
  "HasPermission('a')": [M, M, M, D, D, D, A, D, A],
  "HasAnyPermission('c', 'b')": [M, M, M, D, D, D, A, D, D],
  "HasAllPermissions('a', 'b')": [M, M, M, D, D, D, A, D, D],
  "HasAllPermissions('a', 'c')": [M, M, M, D, D, D, D, D, D],
};

describe('built-in guards × request contexts', () => {
  const rows = Object.entries(guards).flatMap(([guardName, make]) =>
    Object.entries(contexts).map(
      ([contextName, context], column) => [guardName, contextName, make, context, expected[guardName]![column]!] as const,
    ),
  );

  it('the table has one answer per guard and context', () => {
    expect(Object.keys(expected)).toEqual(Object.keys(guards));
    for (const answers of Object.values(expected)) expect(answers).toHaveLength(Object.keys(contexts).length);
  });

  it.each(rows)('%s on %s', (_guard, _context, make, context, answer) => {
    expect(outcome(make(), context)).toBe(answer);
  });

  it('a refusal is an AuthError carrying its status, never a bare false', () => {
    const codes = new Map<string, number>();
    for (const [, make, context] of rows.map((row) => [row[0], row[2], row[3]] as const)) {
      try {
        expect(make().canActivate(contextOf(context))).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(AuthError);
        codes.set((error as AuthError).code, (error as AuthError).getStatus());
      }
    }
    expect(Object.fromEntries(codes)).toEqual({ credentials_missing: 401, permission_denied: 403, fresh_token_required: 403 });
  });
});

describe('permission matching', () => {
  it.each([
    ['a:read', 'a prefix'],
    ['A', 'another case'],
    [' a', 'a padded name'],
    ['ab', 'a longer name'],
    ['*', 'a wildcard'],
  ])('held %j does not grant "a" (%s)', (held) => {
    expect(outcome(HasPermission('a'), user({ permissions: [held] }))).toBe('permission_denied');
    expect(outcome(HasAnyPermission('a', 'z'), user({ permissions: [held] }))).toBe('permission_denied');
  });

  it('a superuser gets no permission it does not hold (IsAdmin() is the superuser check)', () => {
    expect(outcome(HasPermission('a'), user({ isSuperuser: true, isStaff: true }))).toBe('permission_denied');
  });

  it('a repeated permission is still required once, and order does not matter', () => {
    expect(outcome(HasAllPermissions('b', 'a', 'a'), user({ permissions: ['a', 'b'] }))).toBe('allow');
  });

  it.each([
    ['HasPermission(undefined)', () => HasPermission(undefined as never)],
    ['HasPermission(1)', () => HasPermission(1 as never)],
    ["HasAnyPermission('a', '')", () => HasAnyPermission('a', '')],
    ["HasAllPermissions('a', null)", () => HasAllPermissions('a', null as never)],
  ])('%s is refused at declaration', (_, declare) => {
    expect(declare).toThrow(TypeError);
    expect(declare).toThrow(/at least one permission name/);
  });
});

describe('guard factories', () => {
  const factories = { IsAuthenticated, AllowAny, IsAdmin, IsStaff, IsFresh, HasPermission, HasAnyPermission, HasAllPermissions };

  it.each(Object.entries(factories))('%s is named, gives a new guard per call, and refuses `new` with the fix', (name, factory) => {
    expect(factory.name).toBe(name);
    const make = factory as (...permissions: string[]) => Guard;
    expect(make('a')).not.toBe(make('a'));
    expect(typeof make('a').canActivate).toBe('function');
    // What Nest does with @UseGuards(IsAdmin): constructs the value.
    const construct = (): unknown => new (factory as unknown as new () => unknown)();
    expect(construct).toThrow(TypeError);
    expect(construct).toThrow(`call it, @UseGuards(${name}())`);
  });
});

describe('PermissionGuard hooks (custom guards)', () => {
  class OwnsTenant extends PermissionGuard {
    readonly seen: RequestContext[] = [];
    protected check(context: RequestContext): boolean {
      this.seen.push(context);
      return context.claims.tenant === 't1';
    }
    protected override denied(): Error {
      return new AuthError(403, 'permission_denied', 'Not your tenant');
    }
  }

  it('check() sees only authenticated contexts; anonymous requests are 401 before it runs', () => {
    const guard = new OwnsTenant();
    expect(outcome(guard, contexts.anonymous)).toBe('credentials_missing');
    expect(outcome(guard, undefined)).toBe('credentials_missing');
    expect(guard.seen).toEqual([]);
  });

  it('check() decides, denied() shapes the refusal', () => {
    const guard = new OwnsTenant();
    expect(outcome(guard, user({ claims: { tenant: 't1' } }))).toBe('allow');
    expect(() => guard.canActivate(contextOf(user({ claims: { tenant: 't2' } })))).toThrow('Not your tenant');
    expect(guard.seen).toHaveLength(2);
  });
});
