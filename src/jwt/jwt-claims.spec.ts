import { describe, expect, it } from 'vitest';
import { deepFreeze, revocationQuery, toResult, userFromClaims } from './jwt-claims.js';

describe('toResult (API.md: what any token means)', () => {
  it.each([
    [{ sub: '42' }, { userId: '42', isStaff: false, isSuperuser: false, permissions: [] }],
    [{ sub: 42 }, { userId: '42', isStaff: false, isSuperuser: false, permissions: [] }],
    [{}, { userId: null, isStaff: false, isSuperuser: false, permissions: [] }],
    [{ sub: { id: 1 } }, { userId: null, isStaff: false, isSuperuser: false, permissions: [] }],
    [
      { sub: 'a', is_staff: true, is_superuser: true },
      { userId: 'a', isStaff: true, isSuperuser: true, permissions: [] },
    ],
    [
      { sub: 'a', is_staff: 'true', is_superuser: 1 },
      { userId: 'a', isStaff: false, isSuperuser: false, permissions: [] },
    ],
    [
      { sub: 'a', permissions: ['r', 7, null, 'w', { p: 1 }] },
      { userId: 'a', isStaff: false, isSuperuser: false, permissions: ['r', 'w'] },
    ],
    [
      { sub: 'a', permissions: 'r w' },
      { userId: 'a', isStaff: false, isSuperuser: false, permissions: [] },
    ],
  ])('%j → %j, with every claim kept', (payload, expected) => {
    const result = toResult(payload);
    expect(result).toEqual({ roles: [], scopes: [], ...expected, claims: payload });
    expect(result.claims).toBe(payload);
  });
});

describe('revocationQuery', () => {
  it.each([
    [
      { jti: 'j', fam: 'f', sub: 's', iat: 10 },
      { jti: 'j', family: 'f', sub: 's', iat: 10 },
    ],
    // A numeric sub is the same user as its string form, for revocation too (API.md).
    [
      { sub: 42, iat: 10 },
      { jti: undefined, family: undefined, sub: '42', iat: 10 },
    ],
    [
      { jti: 1, fam: ['f'], sub: null, iat: '10' },
      { jti: undefined, family: undefined, sub: undefined, iat: undefined },
    ],
  ])('%j → %j', (payload, expected) => {
    expect(revocationQuery(payload)).toEqual(expected);
  });
});

describe('userFromClaims', () => {
  it.each([
    [
      { sub: '7', username: 'ada', is_staff: true, permissions: ['a', 1] },
      { id: '7', username: 'ada', isStaff: true, isSuperuser: false, permissions: ['a'] },
    ],
    [
      { sub: 7, is_superuser: true },
      { id: '7', isStaff: false, isSuperuser: true },
    ],
    [
      { sub: '7', username: 5 },
      { id: '7', isStaff: false, isSuperuser: false },
    ],
    [{ username: 'nobody' }, null],
  ])('%j → %j', (payload, expected) => {
    expect(userFromClaims(payload)).toEqual(expected);
  });
});

describe('deepFreeze', () => {
  it('freezes every object and array inside, and returns the same value', () => {
    const claims = { permissions: ['r'], profile: { roles: ['x'], address: { city: 'Oslo' } }, list: [{ a: 1 }] };
    expect(deepFreeze(claims)).toBe(claims);
    for (const value of [
      claims,
      claims.permissions,
      claims.profile,
      claims.profile.roles,
      claims.profile.address,
      claims.list,
      claims.list[0],
    ]) {
      expect(Object.isFrozen(value)).toBe(true);
    }
    expect(() => claims.permissions.push('w')).toThrow(TypeError);
    expect(() => {
      (claims.profile.address as { city: string }).city = 'Paris';
    }).toThrow(TypeError);
  });

  it('leaves primitives alone', () => {
    for (const value of [null, undefined, 1, 'a', true]) expect(deepFreeze(value)).toBe(value);
  });
});
