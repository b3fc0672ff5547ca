import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../context/request-context.interface.js';
import type { JwtPayload } from '../jwt/jwt-verifier.js';
import type { TokenSigner } from '../jwt/token-signer.js';
import type { AccessTokenOptions, TokenPair } from './token.types.js';

/**
 * The claims `TokenService` sets itself, which `extraClaims` cannot name: those API.md lists,
 * `nbf`, and the lifecycle claims this package adds: `fam` (the login), `auth_time` (when the
 * login happened, seconds), `iat_ms` (`iat` in milliseconds, for logout-all cut-offs) and `ext`
 * (the login's extra claims, carried by refresh tokens).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'sub',
  'username',
  'is_staff',
  'is_superuser',
  'permissions',
  'roles',
  'iat',
  'exp',
  'nbf',
  'jti',
  'type',
  'fresh',
  'iss',
  'aud',
  'fam',
  'auth_time',
  'iat_ms',
  'ext',
]);

/** One login, as every token descended from it carries it. */
export interface Login {
  /** The login family (`fam`). */
  family: string;
  /** When the login happened (`auth_time`), epoch seconds. */
  authTime: number;
  /** The login's `extraClaims`, given again to each access token a refresh issues. */
  extraClaims: Readonly<Record<string, unknown>>;
}

/** When and with which ids a pair is minted (a refresh dates its pair before its last check). */
export interface Minting {
  issuedAtMs: number;
  refreshJti?: string;
}

/**
 * A copy of `extraClaims` once checked: a plain object naming no reserved claim. A reserved
 * name is a `TypeError` at the call: dropping it silently hid the mistake, and letting it
 * through turned user data forwarded into extra claims into privilege (`permissions`).
 */
export function checkExtraClaims(extraClaims: unknown, caller: string): Record<string, unknown> {
  if (extraClaims === undefined) return {};
  if (typeof extraClaims !== 'object' || extraClaims === null || Array.isArray(extraClaims)) {
    throw new TypeError(`${caller}: \`extraClaims\` must be a plain object`);
  }
  const reserved = Object.keys(extraClaims).filter((name) => RESERVED_CLAIMS.has(name));
  if (reserved.length > 0) {
    throw new TypeError(
      `${caller}: \`extraClaims\` cannot set ${reserved.map((name) => `"${name}"`).join(', ')}: ` +
        `the service sets ${[...RESERVED_CLAIMS].join(', ')} itself`,
    );
  }
  return { ...extraClaims };
}

/** A new login starting now, with a new family. */
export function newLogin(extraClaims: Record<string, unknown>, nowMs = Date.now()): Login {
  return { family: randomUUID(), authTime: Math.floor(nowMs / 1000), extraClaims };
}

/**
 * Signs the tokens of a login: the claims API.md lists, plus `fam`, `auth_time`, `iat_ms` (and `ext` in refresh tokens).
 *
 * @param permissionsInTokens whether tokens carry the user's `permissions` (`permissionsFrom: 'token'`);
 *   with `'user'` the guard reads them from the loaded user, and tokens leave them out.
 */
export class TokenIssuer {
  constructor(
    readonly signer: TokenSigner,
    private readonly permissionsInTokens = true,
  ) {}

  /** An access token of `login` (its extra claims, then `options.extraClaims`, under the service's own). */
  access(user: AuthUser, options: AccessTokenOptions, login: Login, minting: Minting = { issuedAtMs: Date.now() }): string {
    const ttl = options.expiresIn ?? this.signer.accessTtl;
    if (!Number.isInteger(ttl) || ttl <= 0) throw new TypeError('createAccessToken: `expiresIn` must be a whole number of seconds > 0');
    if (options.expiresIn !== undefined && ttl > this.signer.maxSessionAge) {
      throw new TypeError(`createAccessToken: \`expiresIn\` (${ttl}) is longer than tokens.maxSessionAge (${this.signer.maxSessionAge})`);
    }
    const extra = { ...login.extraClaims, ...checkExtraClaims(options.extraClaims, 'createAccessToken') };
    return this.signer.sign({ ...extra, ...this.base(user, ttl, login, minting), type: 'access', fresh: options.fresh ?? false });
  }

  /** A refresh token of `login`; it carries the login's extra claims (`ext`) for the refreshes to come. */
  refresh(user: AuthUser, login: Login, minting: Minting = { issuedAtMs: Date.now() }): string {
    const ext = Object.keys(login.extraClaims).length === 0 ? {} : { ext: login.extraClaims };
    return this.signer.sign({ ...this.base(user, this.signer.refreshTtl, login, minting), type: 'refresh', ...ext });
  }

  /** An access and a refresh token of `login`, dated alike; the access token is fresh for a login, not for a refresh. */
  pair(user: AuthUser, login: Login, fresh: boolean, minting: Minting = { issuedAtMs: Date.now() }): TokenPair {
    return {
      access_token: this.access(user, { fresh }, login, { issuedAtMs: minting.issuedAtMs }),
      refresh_token: this.refresh(user, login, minting),
      token_type: 'bearer',
      expires_in: this.signer.accessTtl,
    };
  }

  private base(user: AuthUser, ttl: number, login: Login, minting: Minting): JwtPayload {
    const signer = this.signer;
    if (user === null || typeof user !== 'object' || (typeof user.id !== 'string' && typeof user.id !== 'number')) {
      throw new TypeError('TokenService: the user needs an `id` (string or number)');
    }
    const iat = Math.floor(minting.issuedAtMs / 1000);
    // No token of a login outlives tokens.maxSessionAge from the login, whatever its refreshes.
    const exp = Math.min(iat + ttl, login.authTime + signer.maxSessionAge);
    const permissions = this.permissionsInTokens ? user.permissions : undefined;
    const roles = rolesOf(user);
    return {
      sub: String(user.id),
      ...(user.username === undefined ? {} : { username: user.username }),
      is_staff: user.isStaff ?? false,
      is_superuser: user.isSuperuser ?? false,
      ...(permissions === undefined ? {} : { permissions }),
      ...(roles === undefined ? {} : { roles }),
      iat,
      iat_ms: minting.issuedAtMs,
      exp,
      jti: minting.refreshJti ?? randomUUID(),
      auth_time: login.authTime,
      fam: login.family,
      ...(signer.issuer === undefined ? {} : { iss: signer.issuer }),
      ...(signer.audience === undefined ? {} : { aud: signer.audience }),
    };
  }
}

/** The user's roles for the `roles` claim (a copy); a `roles` that is not a list of names is a `TypeError`, never a half-granted token. */
function rolesOf(user: AuthUser): string[] | undefined {
  const roles: unknown = user.roles;
  if (roles === undefined) return undefined;
  if (!Array.isArray(roles) || roles.some((role) => typeof role !== 'string' || role === '')) {
    throw new TypeError("TokenService: the user's `roles` must be an array of non-empty strings");
  }
  return [...(roles as string[])];
}
