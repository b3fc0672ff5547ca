import type { ExecutionContext } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AuthError } from '../auth.errors.js';
import { anonymousContext, type RequestContext } from '../context/request-context.interface.js';
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
} from './permission.guards.js';

const user = (overrides: Partial<RequestContext> = {}): RequestContext => ({
  userId: '1',
  isStaff: false,
  isSuperuser: false,
  authBackend: 'jwt',
  permissions: [],
  claims: {},
  ...overrides,
});

const contextOf = (context: RequestContext | undefined): ExecutionContext =>
  ({ switchToHttp: () => ({ getRequest: () => ({ context }) }) }) as unknown as ExecutionContext;

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
