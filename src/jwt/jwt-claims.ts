import type { AuthResult, AuthUser } from '../context/request-context.interface.js';
import type { RevocationQuery } from '../revocation/revocation.store.js';
import { DEFAULT_CLAIMS_MAPPING, type ClaimsMapping } from './claims-mapping.js';
import type { JwtPayload } from './jwt-verifier.js';

export { deepFreeze } from './deep-freeze.js';

/**
 * What a JWT's claims mean, for any token (API.md): `sub` → `userId` (a numeric `sub`, which
 * some issuers send, is read as its string form: the same user, for revocation too),
 * `is_staff` → `isStaff`, `is_superuser` → `isSuperuser`, `permissions` → `permissions`
 * (its strings; missing → `false` / `[]`), all claims → `claims`; roles and scopes where
 * `mapping` says (by default `roles`, and `scope` / `scp`), always fresh arrays of strings.
 */
export function toResult(payload: JwtPayload, mapping: ClaimsMapping = DEFAULT_CLAIMS_MAPPING): AuthResult {
  return {
    userId: subjectOf(payload),
    isStaff: payload.is_staff === true,
    isSuperuser: payload.is_superuser === true,
    permissions: permissionsOf(payload) ?? [],
    roles: mapping.roles(payload),
    scopes: mapping.scopes(payload),
    claims: payload,
  };
}

/**
 * The revocation query of a token: its `jti`, login family (`fam`), user (`sub`), `iat`, and its
 * issue time in milliseconds (`iat_ms`, which `TokenService` adds), taken only when it lies in
 * the `iat` second: it refines `iat`, never moves it.
 */
export function revocationQuery(payload: JwtPayload): RevocationQuery {
  const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
  const ms = payload.iat_ms;
  const refines = iat !== undefined && typeof ms === 'number' && Number.isInteger(ms) && Math.floor(ms / 1000) === iat;
  return {
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    family: typeof payload.fam === 'string' ? payload.fam : undefined,
    sub: subjectOf(payload) ?? undefined,
    iat,
    ...(refines ? { issuedAtMs: ms } : {}),
  };
}

/**
 * The user a token describes, for issuing its successor (`TokenService.refresh` without a
 * `userLoader`): `sub` → `id`, `username`, `is_staff`, `is_superuser`, and `permissions` and
 * `roles` when the token carries them. `null` when the token names no user.
 */
export function userFromClaims(payload: JwtPayload): AuthUser | null {
  const id = subjectOf(payload);
  if (id === null) return null;
  const permissions = permissionsOf(payload);
  return {
    id,
    ...(typeof payload.username === 'string' ? { username: payload.username } : {}),
    isStaff: payload.is_staff === true,
    isSuperuser: payload.is_superuser === true,
    ...(permissions === undefined ? {} : { permissions }),
    ...(Array.isArray(payload.roles) ? { roles: DEFAULT_CLAIMS_MAPPING.roles(payload) } : {}),
  };
}

function subjectOf(payload: JwtPayload): string | null {
  const sub = payload.sub;
  // `sub` is a string by RFC 7519; a number some issuers send is read as its string form.
  return typeof sub === 'string' ? sub : typeof sub === 'number' ? String(sub) : null;
}

function permissionsOf(payload: JwtPayload): string[] | undefined {
  const permissions = payload.permissions;
  return Array.isArray(permissions) ? permissions.filter((item): item is string => typeof item === 'string') : undefined;
}
