import { InsufficientUserAuthenticationError } from '../auth.errors.js';
import type { RequestContext } from '../context/request-context.interface.js';
import type { Guard } from './guard.interface.js';
import { guardFactory, PermissionGuard } from './permission.guards.js';

/** RFC 9470 §3: an `acr_values` entry is one token of a space-separated, quoted list. */
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * How far ahead of this server's clock an `auth_time` may be (the issuer's clock may run a little
 * fast). Beyond it the login is in the future: never recent, or it would stay "recent" until then.
 */
const AUTH_TIME_SKEW_SECONDS = 5;

class AuthenticatedWithinGuard extends PermissionGuard {
  constructor(private readonly maxAge: number) {
    super();
  }

  protected check(context: RequestContext): boolean {
    const authTime = context.claims.auth_time;
    // A token without a usable `auth_time` does not say when the user logged in: never recent enough.
    if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return false;
    const now = Date.now() / 1000;
    return authTime <= now + AUTH_TIME_SKEW_SECONDS && now - authTime <= this.maxAge;
  }

  protected override denied(): Error {
    return new InsufficientUserAuthenticationError('More recent authentication is required', { maxAge: this.maxAge });
  }

  /** As the security report names it. */
  override toString(): string {
    return `AuthenticatedWithin(${this.maxAge})`;
  }
}

class RequiresAcrGuard extends PermissionGuard {
  constructor(private readonly values: readonly string[]) {
    super();
  }

  protected check(context: RequestContext): boolean {
    const acr = context.claims.acr;
    return typeof acr === 'string' && this.values.includes(acr);
  }

  protected override denied(): Error {
    return new InsufficientUserAuthenticationError('A stronger authentication is required', { acrValues: this.values });
  }

  /** As the security report names it. */
  override toString(): string {
    return `RequiresAcr(${this.values.join(', ')})`;
  }
}

/**
 * Step-up by recency (RFC 9470): the request's token must say the user authenticated at most
 * `seconds` ago (its `auth_time` claim, which `TokenService` sets at login and keeps across
 * refreshes, and OpenID providers set when asked). Otherwise 401 `insufficient_user_authentication`
 * with `WWW-Authenticate: Bearer error="insufficient_user_authentication", …, max_age=<seconds>`;
 * an anonymous request is 401 `credentials_missing`. A credential without `auth_time` (an API
 * key, a session) is never recent enough, nor is an `auth_time` more than
 * {@link AUTH_TIME_SKEW_SECONDS} (5) seconds ahead of the server's clock.
 *
 * @example
 * ```ts
 * @Post('password')
 * @Auth({ guards: [AuthenticatedWithin(300)] })   // logged in within the last 5 minutes
 * changePassword() {}
 * ```
 */
export const AuthenticatedWithin: (seconds: number) => Guard = guardFactory('AuthenticatedWithin', (seconds: number): Guard => {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
    throw new TypeError('AuthenticatedWithin() needs a whole number of seconds >= 0, e.g. AuthenticatedWithin(300)');
  }
  return new AuthenticatedWithinGuard(seconds);
});

/**
 * Step-up by strength (RFC 9470): the request's token must carry one of `values` as its `acr`
 * claim (authentication context class reference, e.g. `'mfa'`, or a provider's URN). Otherwise
 * 401 `insufficient_user_authentication` with `acr_values="<values, space-separated>"`; an
 * anonymous request is 401 `credentials_missing`. Tokens from `TokenService` carry an `acr` given
 * at login: `createTokenPair(user, { extraClaims: { acr: 'mfa', amr: ['pwd', 'otp'] } })`.
 *
 * @example
 * ```ts
 * @Delete('account')
 * @Auth({ guards: [RequiresAcr('mfa')] })
 * deleteAccount() {}
 * ```
 */
export const RequiresAcr: (...values: string[]) => Guard = guardFactory('RequiresAcr', (...values: string[]): Guard => {
  if (values.length === 0 || values.some((value) => typeof value !== 'string' || !ACR_VALUE.test(value))) {
    throw new TypeError(
      "RequiresAcr() needs at least one acr value, each without spaces, quotes or backslashes, e.g. RequiresAcr('mfa'); an empty list would allow everyone",
    );
  }
  return new RequiresAcrGuard([...new Set(values)]);
});
