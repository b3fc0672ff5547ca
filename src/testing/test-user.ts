import { TokenMalformedError } from '../auth.errors.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthResult, AuthUser } from '../context/request-context.interface.js';
import { readSingleHeader } from '../credentials/credential-header.js';

/**
 * A user for the test helpers: an `AuthUser` (`id`, `username`, flags, `permissions`, `roles`),
 * the OAuth2 `scopes` its credential grants, and more `claims`; any other field of your own user
 * entity may ride along (it is what `request.user` gives under `overrideAuthentication`).
 */
export interface TestUser extends AuthUser {
  /** The OAuth2 scopes (`request.context.scopes`); a minted token carries them as `scope`. */
  scopes?: string[];
  /** More claims: `request.context.claims`, or a minted token's extra claims. */
  claims?: Record<string, unknown>;
  [field: string]: unknown;
}

/** The header `overrideAuthentication` reads a per-request test user from (`authAs` writes it). */
export const TEST_USER_HEADER = 'x-warden-test-user';

/** The header value of an explicitly anonymous request (`authAs(app, null)`). */
export const ANONYMOUS = 'anonymous';

/** A user given as an id, or as an object with one, checked: a test with a bad user must fail where it is written. */
export function testUser(user: TestUser | string | number, where: string): TestUser {
  const value = typeof user === 'string' || typeof user === 'number' ? { id: user } : user;
  if (typeof value !== 'object' || value === null || (typeof value.id !== 'string' && typeof value.id !== 'number') || value.id === '') {
    throw new TypeError(`${where}: the user needs an \`id\` (a string or a number), e.g. { id: 1, roles: ['admin'] }`);
  }
  return value;
}

/** The header value that makes `overrideAuthentication` authenticate a request as `user` (`null`: anonymous). */
export function encodeTestUser(user: TestUser | null): string {
  return user === null ? ANONYMOUS : Buffer.from(JSON.stringify(user)).toString('base64url');
}

/**
 * The test user a request names in {@link TEST_USER_HEADER}: `undefined` when the header is
 * absent, `null` for an explicitly anonymous request. A value that is not a user is 401
 * `token_malformed`, as a bad credential would be.
 */
export function decodeTestUser(request: AuthRequest): TestUser | null | undefined {
  const value = readSingleHeader(request, TEST_USER_HEADER);
  if (value === undefined) return undefined;
  if (value === ANONYMOUS) return null;
  let user: unknown;
  try {
    user = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new TokenMalformedError('The test user header is not a base64url JSON user', { cause });
  }
  try {
    return testUser(user as TestUser, 'overrideAuthentication');
  } catch (cause) {
    throw new TokenMalformedError('The test user header names no user id', { cause });
  }
}

/**
 * What a backend would answer for the test user: its id, flags, permissions, roles, scopes and
 * claims (`sub`, `username`, `fresh: true` as after a login, then its own `claims`). With
 * `withUser`, the user object itself becomes `request.user` (no `userLoader` call).
 */
export function testResult(user: TestUser, withUser: boolean): AuthResult {
  const userId = String(user.id);
  return {
    userId,
    isStaff: user.isStaff === true,
    isSuperuser: user.isSuperuser === true,
    permissions: names(user.permissions),
    roles: names(user.roles),
    scopes: names(user.scopes),
    claims: { sub: userId, ...(typeof user.username === 'string' ? { username: user.username } : {}), fresh: true, ...user.claims },
    ...(withUser ? { user } : {}),
  };
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
