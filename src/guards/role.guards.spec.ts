import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { PermissionDeniedError, UserInactiveError } from '../auth.errors.js';
import type { RequestContext } from '../context/request-context.interface.js';
import { anonymousContext } from '../context/request-context.js';
import { HasAllRoles, HasAllScopes, HasAnyRole, HasAnyScope, HasRole, HasScope } from './role.guards.js';
import { UserPassesTest } from './user-passes-test.guard.js';

const user = (overrides: Partial<RequestContext> = {}): RequestContext => ({
  ...anonymousContext(),
  userId: '1',
  authBackend: 'jwt',
  ...overrides,
});

const http = (request: object): ExecutionContext =>
  ({ getType: () => 'http', switchToHttp: () => ({ getRequest: () => request }) }) as unknown as ExecutionContext;
const run = (guard: { canActivate(context: ExecutionContext): unknown }, context: RequestContext | undefined, extra: object = {}) =>
  // Descriptors, not a spread: a spread would read a lazy `user` getter on the way.
  guard.canActivate(http(Object.defineProperties({ headers: {}, context }, Object.getOwnPropertyDescriptors(extra))));

describe('role and scope guards', () => {
  const editor = user({ roles: ['editor', 'viewer'], scopes: ['orders:read'] });
  it.each([
    ['HasRole', HasRole('editor'), true],
    ['HasRole (missing)', HasRole('admin'), false],
    ['HasAnyRole', HasAnyRole('admin', 'editor'), true],
    ['HasAnyRole (none)', HasAnyRole('admin', 'root'), false],
    ['HasAllRoles', HasAllRoles('editor', 'viewer'), true],
    ['HasAllRoles (one missing)', HasAllRoles('editor', 'admin'), false],
    ['HasScope', HasScope('orders:read'), true],
    ['HasAnyScope', HasAnyScope('orders:write', 'orders:read'), true],
    ['HasAllScopes (one missing)', HasAllScopes('orders:read', 'orders:write'), false],
  ])('%s', (_, guard, allowed) => {
    if (allowed) expect(run(guard, editor)).toBe(true);
    else expect(() => run(guard, editor)).toThrow(PermissionDeniedError);
  });

  it('anonymous (or no context) is 401 credentials_missing, whatever the roles it claims', () => {
    for (const context of [undefined, { ...anonymousContext(), roles: ['admin'] }]) {
      expect(() => run(HasRole('admin'), context)).toThrow(expect.objectContaining({ code: 'credentials_missing' }));
    }
  });

  it('a role never matches a scope of the same name, nor a permission', () => {
    expect(() => run(HasRole('admin'), user({ scopes: ['admin'], permissions: ['admin'] }))).toThrow(PermissionDeniedError);
    expect(() => run(HasScope('admin'), user({ roles: ['admin'] }))).toThrow(PermissionDeniedError);
  });

  it('matching is exact: no case folding, no prefix', () => {
    expect(() => run(HasRole('Admin'), user({ roles: ['admin'] }))).toThrow(PermissionDeniedError);
    expect(() => run(HasRole('admin'), user({ roles: ['admin:read', 'administrator'] }))).toThrow(PermissionDeniedError);
  });

  it('a context made without the lists holds no role', () => {
    const bare = { ...user() } as Partial<RequestContext>;
    delete bare.roles;
    expect(() => run(HasAnyRole('a'), bare as RequestContext)).toThrow(PermissionDeniedError);
  });

  it.each([
    () => HasAnyRole(),
    () => HasAllRoles(),
    () => HasRole(''),
    () => HasAnyScope(),
    () => HasAllRoles('a', 7 as unknown as string),
  ])('an empty or bad name list is a TypeError (an empty list would allow everyone)', (make) => {
    expect(make).toThrow(TypeError);
  });

  it('passed uncalled to @UseGuards(), the factory says to call it', () => {
    const Factory = HasAnyRole as unknown as new () => unknown;
    expect(() => new Factory()).toThrow('HasAnyRole is a guard factory, not a guard class: call it');
  });
});

describe('UserPassesTest', () => {
  it('sync and async predicates: only true passes', async () => {
    expect(
      run(
        UserPassesTest(() => true),
        user(),
      ),
    ).toBe(true);
    await expect(
      run(
        UserPassesTest(async () => true),
        user(),
      ),
    ).resolves.toBe(true);
    for (const answer of [false, undefined, 1, 'yes', {}]) {
      expect(() =>
        run(
          UserPassesTest(() => answer as boolean),
          user(),
        ),
      ).toThrow(PermissionDeniedError);
      await expect(
        run(
          UserPassesTest(async () => answer as boolean),
          user(),
        ),
      ).rejects.toThrow(PermissionDeniedError);
    }
  });

  it('anonymous is 401 before the predicate runs', () => {
    const test = vi.fn(() => true);
    expect(() => run(UserPassesTest(test), anonymousContext())).toThrow(expect.objectContaining({ code: 'credentials_missing' }));
    expect(() => run(UserPassesTest(test), undefined)).toThrow(expect.objectContaining({ code: 'credentials_missing' }));
    expect(test).not.toHaveBeenCalled();
  });

  it('receives the context; the user is read only when user() is called', async () => {
    let reads = 0;
    const request = {
      get user() {
        reads++;
        return Promise.resolve({ id: '1', plan: 'pro' });
      },
    };
    const context = user({ roles: ['a'] });
    await expect(
      run(
        UserPassesTest((seen) => seen === context),
        context,
        request,
      ),
    ).toBe(true);
    expect(reads).toBe(0);
    const guard = UserPassesTest<{ plan: string }>(async (_, loadUser) => (await loadUser()).plan === 'pro');
    await expect(run(guard, context, request)).resolves.toBe(true);
    expect(reads).toBe(1);
  });

  it("the user's refusal is the answer: a user gone is 401 user_inactive", async () => {
    const request = { user: Promise.reject(new UserInactiveError()) };
    request.user.catch(() => undefined);
    await expect(
      run(
        UserPassesTest(async (_, loadUser) => (await loadUser()) !== null),
        user(),
        request,
      ),
    ).rejects.toThrow(UserInactiveError);
  });

  it('a predicate that is not a function is a TypeError at once', () => {
    expect(() => UserPassesTest(undefined as unknown as () => boolean)).toThrow(TypeError);
  });
});
