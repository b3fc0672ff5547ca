import { describe, expect, it } from 'vitest';
import { AuthUnavailableError, PermissionDeniedError, UserInactiveError } from '../auth.errors.js';
import { contextFrom } from './request-context.js';
import { activeUser, bindUserLoader, resultFromUser, userFromContext } from './user-loader.js';

const context = contextFrom({ userId: '7', isStaff: true, permissions: ['a'], claims: { username: 'ann' } }, 'jwt');

describe('bindUserLoader', () => {
  it.each([
    ['a user', () => ({ id: '7' }), { id: '7' }],
    ['a Promise of a user', () => Promise.resolve({ id: '7' }), { id: '7' }],
    ['null', () => null, null],
    ['undefined, read as null', () => undefined, null],
  ])('%s', async (_, load, expected) => {
    await expect(bindUserLoader(load, 1000)(context)).resolves.toEqual(expected);
  });

  it.each([
    [
      'a throw',
      () => {
        throw new Error('db');
      },
    ],
    ['a rejection', () => Promise.reject(new Error('db'))],
  ])('%s is 503 auth_unavailable', async (_, load) => {
    await expect(bindUserLoader(load, 1000)(context)).rejects.toBeInstanceOf(AuthUnavailableError);
  });

  it('an AuthError thrown on purpose passes', async () => {
    const load = (): never => {
      throw new PermissionDeniedError();
    };
    await expect(bindUserLoader(load, 1000)(context)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('an answer later than timeoutMs is 503', async () => {
    const load = (): Promise<unknown> => new Promise((resolve) => setTimeout(() => resolve({ id: '7' }), 100));
    await expect(bindUserLoader(load, 10)(context)).rejects.toMatchObject({ code: 'auth_unavailable' });
  });

  it('hands the loader the context it was given', async () => {
    const seen: unknown[] = [];
    await bindUserLoader((given) => seen.push(given), 1000)(context);
    expect(seen).toEqual([context]);
  });
});

describe('activeUser', () => {
  it.each([null, undefined])('%s is 401 user_inactive', (user) => {
    expect(() => activeUser(user)).toThrow(UserInactiveError);
  });

  it.each([{ id: 1 }, 0, '', false])('%j is the user', (user) => {
    expect(activeUser(user)).toBe(user);
  });
});

describe('resultFromUser', () => {
  it('maps the flags only when exactly true, and keeps the user', () => {
    const user = { id: 7, isStaff: 'yes', isSuperuser: true, permissions: ['a', 3, 'b'] };
    expect(resultFromUser(user)).toEqual({ userId: '7', user, isStaff: false, isSuperuser: true, permissions: ['a', 'b'] });
  });

  it('the id a credential names wins over the user fields; username when there is no id', () => {
    expect(resultFromUser({ id: 1 }, 'session-9').userId).toBe('session-9');
    expect(resultFromUser({ username: 'bob' }).userId).toBe('bob');
    expect(resultFromUser({}).userId).toBeNull();
  });

  it('permissions are a copy: a handler cannot reach the user object’s own array', () => {
    const user = { id: 1, permissions: ['a'] };
    resultFromUser(user).permissions!.push('admin');
    expect(user.permissions).toEqual(['a']);
  });
});

describe('userFromContext', () => {
  it('is the user the context describes', () => {
    expect(userFromContext(context)).toEqual({ id: '7', username: 'ann', isStaff: true, isSuperuser: false, permissions: ['a'] });
  });

  it('is null when the context names no user', () => {
    expect(userFromContext(contextFrom({ userId: null }, 'api_key'))).toBeNull();
  });
});
