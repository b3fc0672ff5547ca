import { describe, expect, it } from 'vitest';
import { claimsMapping, DEFAULT_CLAIMS_MAPPING, RoleClaims, type ClaimMapping } from './claims-mapping.js';
import { toResult, userFromClaims } from './jwt-claims.js';
import { verifiedToken } from './verified-token.cache.js';

const rolesWith = (roles: ClaimMapping, claims: Record<string, unknown>): string[] => claimsMapping({ roles }, 'Test').roles(claims);

describe('roles: where each provider puts them', () => {
  it.each([
    ['default `roles`', undefined, { roles: ['admin', 'user'] }, ['admin', 'user']],
    ['Keycloak realm roles, dot path', 'realm_access.roles', { realm_access: { roles: ['admin'] } }, ['admin']],
    ['Keycloak realm roles, preset', RoleClaims.keycloakRealm(), { realm_access: { roles: ['admin'] } }, ['admin']],
    [
      'Keycloak client roles, preset',
      RoleClaims.keycloakClient('orders-api'),
      { resource_access: { 'orders-api': { roles: ['clerk'] }, other: { roles: ['admin'] } } },
      ['clerk'],
    ],
    [
      'Keycloak realm and client roles together',
      RoleClaims.keycloak('orders-api'),
      { realm_access: { roles: ['user', 'clerk'] }, resource_access: { 'orders-api': { roles: ['clerk', 'refunds'] } } },
      ['user', 'clerk', 'refunds'],
    ],
    [
      'Auth0 namespaced claim, preset',
      RoleClaims.namespaced('https://example.com/roles'),
      { 'https://example.com/roles': ['editor'] },
      ['editor'],
    ],
    ['Auth0 namespaced claim, as a path', ['https://example.com/roles'], { 'https://example.com/roles': ['editor'] }, ['editor']],
    ['Azure AD app roles', RoleClaims.azureAd(), { roles: ['Task.Write'] }, ['Task.Write']],
    ['a function', (claims: Record<string, unknown>) => (claims.groups as string[]).map((g) => `g:${g}`), { groups: ['a'] }, ['g:a']],
  ])('%s', (_, roles, claims, expected) => {
    const mapping = roles === undefined ? DEFAULT_CLAIMS_MAPPING : claimsMapping({ roles }, 'Test');
    expect(mapping.roles(claims)).toEqual(expected);
  });

  it.each([
    ['a string instead of an array', { roles: 'admin' }],
    ['an object', { roles: { admin: true } }],
    ['nested arrays and objects', { roles: [['admin'], { name: 'admin' }, null, 7, ''] }],
    ['missing', {}],
    ['a path through an array', { realm_access: [{ roles: ['admin'] }] }],
  ])('%s: no roles (only an array of strings counts)', (_, claims) => {
    expect(DEFAULT_CLAIMS_MAPPING.roles(claims)).toEqual([]);
    expect(rolesWith('realm_access.roles', claims)).toEqual([]);
  });

  it('reads own properties only: a path never reaches a prototype', () => {
    expect(rolesWith('constructor.name', {})).toEqual([]);
    expect(rolesWith('__proto__.roles', JSON.parse('{"__proto__": {"roles": ["admin"]}}') as Record<string, unknown>)).toEqual(['admin']);
    expect(rolesWith('toString', {})).toEqual([]);
  });

  it('keeps each role once, in order, and copies (the claim array is never handed out)', () => {
    const claims = { roles: ['a', 'b', 'a'] };
    const roles = DEFAULT_CLAIMS_MAPPING.roles(claims);
    expect(roles).toEqual(['a', 'b']);
    roles.push('admin');
    expect(claims.roles).toEqual(['a', 'b', 'a']);
    const single = { roles: ['only'] };
    expect(DEFAULT_CLAIMS_MAPPING.roles(single)).not.toBe(single.roles);
  });

  it('a huge array is read in linear time', () => {
    const roles = Array.from({ length: 200_000 }, (_, i) => `role-${i % 50_000}`);
    const started = performance.now();
    expect(DEFAULT_CLAIMS_MAPPING.roles({ roles })).toHaveLength(50_000);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('a mapping function that throws refuses the token: 401 token_claims_invalid, cause kept', () => {
    const cause = new Error('boom');
    const mapping = claimsMapping(
      {
        roles: () => {
          throw cause;
        },
      },
      'Test',
    );
    expect(() => mapping.roles({})).toThrow(expect.objectContaining({ code: 'token_claims_invalid', status: 401, cause }));
  });
});

describe('scopes: OAuth2 `scope` and `scp`', () => {
  it.each([
    [{ scope: 'orders:read  orders:write' }, ['orders:read', 'orders:write']],
    [{ scp: ['orders:read', 'profile'] }, ['orders:read', 'profile']],
    [{ scp: 'orders:read profile' }, ['orders:read', 'profile']],
    [{ scope: 'a b', scp: ['b', 'c'] }, ['a', 'b', 'c']],
    [{ scope: ['a'] }, ['a']],
    [{ scope: { a: 1 }, scp: 7 }, []],
    [{}, []],
  ])('%j → %j', (claims, expected) => {
    expect(DEFAULT_CLAIMS_MAPPING.scopes(claims)).toEqual(expected);
  });

  it('a custom place, where a string is split on spaces', () => {
    expect(claimsMapping({ scopes: 'authz.scopes' }, 'Test').scopes({ authz: { scopes: 'a b' } })).toEqual(['a', 'b']);
  });
});

describe('the options are checked at start-up', () => {
  it.each([
    ['a URL-like name written as a dot path', 'https://example.com/roles', "write ['https://example.com/roles']"],
    ['an empty string', '', 'empty or non-string claim name'],
    ['an empty segment', 'realm_access..roles', 'empty or non-string claim name'],
    ['an empty path', [], 'empty or non-string claim name'],
    ['a number in a path', ['a', 1], 'empty or non-string claim name'],
    ['a number', 7, 'must be a claim name, a path or a function'],
    ['null', null, 'must be a claim name, a path or a function'],
  ])('roles: %s is a TypeError naming the fix', (_, roles, message) => {
    expect(() => claimsMapping({ roles: roles as ClaimMapping }, 'JwtAuthentication')).toThrow(TypeError);
    expect(() => claimsMapping({ roles: roles as ClaimMapping }, 'JwtAuthentication')).toThrow(message);
    expect(() => claimsMapping({ scopes: roles as ClaimMapping }, 'JwtAuthentication')).toThrow('JwtAuthentication: `scopes`');
  });

  it.each([() => RoleClaims.keycloakClient(''), () => RoleClaims.keycloak(''), () => RoleClaims.namespaced('')])(
    'a preset without its name is a TypeError',
    (preset) => {
      expect(preset).toThrow(TypeError);
    },
  );
});

describe('through toResult and the verified-token cache', () => {
  it('the result carries roles and scopes; a cached entry freezes them', () => {
    const mapping = claimsMapping({ roles: RoleClaims.keycloakRealm() }, 'Test');
    const entry = verifiedToken({ sub: 's', realm_access: { roles: ['admin'] }, scope: 'a b' }, true, mapping);
    expect(entry.result).toMatchObject({ roles: ['admin'], scopes: ['a', 'b'] });
    expect(Object.isFrozen(entry.result.roles)).toBe(true);
    expect(Object.isFrozen(entry.result.scopes)).toBe(true);
    expect(() => entry.result.roles!.push('root')).toThrow(TypeError);
  });

  it('a mapping function reads claims that are already frozen: it cannot change them for the next request', () => {
    const mapping = claimsMapping(
      {
        roles: (claims) => {
          (claims as Record<string, unknown>).roles = ['admin'];
          return [];
        },
      },
      'Test',
    );
    expect(() => verifiedToken({ sub: 's' }, true, mapping)).toThrow(expect.objectContaining({ code: 'token_claims_invalid' }));
  });

  it('toResult uses the default mapping; userFromClaims keeps the issued roles for a refresh', () => {
    expect(toResult({ sub: '1', roles: ['a'], scp: 'x' })).toMatchObject({ roles: ['a'], scopes: ['x'] });
    expect(userFromClaims({ sub: '1', roles: ['a', 3] })).toEqual({ id: '1', isStaff: false, isSuperuser: false, roles: ['a'] });
    expect(userFromClaims({ sub: '1', roles: 'a' })).toEqual({ id: '1', isStaff: false, isSuperuser: false });
  });
});
