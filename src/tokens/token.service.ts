import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuthConfig } from '../auth.config.js';
import { TokenClaimsInvalidError, TokenExpiredError, TokenReusedError, TokenRevokedError, UserInactiveError } from '../auth.errors.js';
import { ask } from '../auth.policy.js';
import type { AuthRequest } from '../context/auth-request.interface.js';
import type { AuthUser } from '../context/request-context.interface.js';
import { contextFrom } from '../context/request-context.js';
import { resultFromUser } from '../context/user-loader.js';
import { clearLoginCookies, responseOf, writeLoginCookies, type CookieResponse } from '../credentials/cookie-writer.js';
import { checkCsrf } from '../credentials/csrf-check.js';
import { revocationQuery, toResult, userFromClaims } from '../jwt/jwt-claims.js';
import type { JwtPayload } from '../jwt/jwt-verifier.js';
import { issued, loggedOut, revoked } from '../events/token-events.js';
import { TokenSigner } from '../jwt/token-signer.js';
import { RevocationStore } from '../revocation/revocation.store.js';
import { requestToken } from './request-token.js';
import { checkExtraClaims, newLogin, TokenIssuer, type Login } from './token-issuer.js';
import type { AccessTokenOptions, LoginOptions, RevokeAllOptions, RevokeOptions, TokenPair } from './token.types.js';

/**
 * Issues, refreshes, verifies and revokes tokens, as configured by `tokens` in
 * `AuthModule.forRoot()`. Refresh tokens rotate: each is accepted once, and a second use
 * revokes its whole login family. A login lasts at most `tokens.maxSessionAge`.
 */
@Injectable()
export class TokenService {
  private readonly issuer: TokenIssuer | undefined;

  constructor(
    private readonly config: AuthConfig,
    private readonly store: RevocationStore,
  ) {
    this.issuer = config.signer === undefined ? undefined : new TokenIssuer(config.signer, !config.permissionsFromUser);
  }

  /**
   * Signs an access token for `user` (claims: sub, username, is_staff, is_superuser, permissions, iat, exp, jti, type, fresh;
   * no `permissions` with `permissionsFrom: 'user'`).
   */
  createAccessToken(user: AuthUser, options: AccessTokenOptions = {}): string {
    return this.require().access(user, options, newLogin({}));
  }

  /** Signs a refresh token for `user`, starting a new login (its `extraClaims` carried to every refresh). */
  createRefreshToken(user: AuthUser, options: LoginOptions = {}): string {
    return this.require().refresh(user, newLogin(checkExtraClaims(options.extraClaims, 'createRefreshToken')));
  }

  /** What a login returns: a fresh access token and a refresh token of a new login family. */
  createTokenPair(user: AuthUser, options: LoginOptions = {}): TokenPair {
    const login = newLogin(checkExtraClaims(options.extraClaims, 'createTokenPair'));
    return issued(this.config.events, 'login', user.id, login.family, this.require().pair(user, login, true));
  }

  /**
   * Exchanges a refresh token for a new pair (non-fresh access token), carrying the user's
   * current fields when a `userLoader` is configured (its `null` ends the login: 401
   * `user_inactive`), else the refresh token's own. The old refresh token is consumed
   * atomically in the shared store; presenting it again revokes its family and throws
   * `TokenReusedError` (401 `token_reused`). Past `tokens.maxSessionAge` from the login: 401
   * `token_expired`.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const issuer = this.require();
    const claims = issuer.signer.verify(refreshToken);
    if (claims.type !== 'refresh') throw new TokenClaimsInvalidError('Only a refresh token is accepted here');
    const login = loginOf(claims);
    if (login === undefined) throw new TokenClaimsInvalidError('The refresh token has no family');
    if (login.authTime + issuer.signer.maxSessionAge <= Date.now() / 1000) {
      throw new TokenExpiredError('The login is older than tokens.maxSessionAge: log in again');
    }
    if (await this.guard(() => this.store.isRevoked(revocationQuery(claims), { fresh: true }))) throw new TokenRevokedError();
    // Read before consuming: a loader that fails (503) leaves the refresh token usable for a retry.
    const user = await this.currentUser(claims, login);
    const next = randomUUID();
    if (!(await this.guard(() => this.store.rotate(login.family, claims.jti as string, next, this.revocationExpiry())))) {
      await this.guard(() => this.store.revokeFamily(login.family, this.revocationExpiry()));
      this.config.events.emit({ type: 'refresh.reused', userId: String(claims.sub), family: login.family });
      throw new TokenReusedError();
    }
    // The user's cut-off is checked again once consumed, and the pair dated before that check: a
    // logout-all that landed meanwhile is seen here, one landing later has a cut-off at or after
    // `issuedAtMs`. The family goes with it, as a logout-all may spare this login (`except`).
    const issuedAtMs = Date.now();
    const { sub, iat, issuedAtMs: tokenMs, family } = revocationQuery(claims);
    const query = { sub, iat, family, ...(tokenMs === undefined ? {} : { issuedAtMs: tokenMs }) };
    if (await this.guard(() => this.store.isRevoked(query, { fresh: true }))) throw new TokenRevokedError();
    return issued(this.config.events, 'refresh', sub, login.family, issuer.pair(user, login, false, { issuedAtMs, refreshJti: next }));
  }

  /**
   * Verifies a token issued by this service and checks that it is not revoked; returns
   * its claims. Throws the `AuthError` that names the failure.
   */
  async verify(token: string): Promise<JwtPayload> {
    const claims = this.require().signer.verify(token);
    if (await this.guard(() => this.store.isRevoked(revocationQuery(claims), { fresh: true }))) throw new TokenRevokedError();
    return claims;
  }

  /**
   * Revokes a token (given whole, or by its `jti`). With `{ family: true }` every token of the
   * same login goes too: what a logout wants. With `{ allowExpired: true }` an expired token is
   * accepted (its signature is still checked) and ends its login.
   */
  async revoke(tokenOrJti: string, options: RevokeOptions = {}): Promise<void> {
    const issuer = this.require();
    if (!tokenOrJti.includes('.')) {
      await this.guard(() => this.store.revoke(tokenOrJti, this.revocationExpiry()));
      revoked(this.config.events, undefined, tokenOrJti, false);
      return;
    }
    const claims = issuer.signer.verify(tokenOrJti, { allowExpired: options.allowExpired === true });
    const expired = (claims.exp as number) <= Date.now() / 1000;
    if (!expired) await this.guard(() => this.store.revoke(claims.jti as string, claims.exp as number));
    if (options.family === true || expired) await this.endLogin(claims);
    revoked(this.config.events, claims, null, options.family === true || expired);
  }

  /**
   * Ends the login of the current request, whatever its transport: the token of
   * `Authorization: Bearer`, else of the access or refresh cookie, even expired (signature
   * checked; a cookie-borne one needs the CSRF header on an unsafe method, 403 `csrf_failed`).
   * Its whole family is revoked and the login cookies cleared (pass the response of
   * `@Res({ passthrough: true })`; Express' own is used when omitted). Resolves `false` when
   * the request carries no token: a second logout is not an error. Fit for a `@Public()` route.
   */
  async logout(request: AuthRequest, response?: CookieResponse): Promise<boolean> {
    const signer = this.require().signer;
    const { cookies, csrfTokenFor } = this.config.credentials;
    const found = requestToken(request, cookies);
    if (found === undefined) return false;
    const claims = signer.verify(found.token, { allowExpired: true });
    if (found.fromCookie)
      checkCsrf(request, typeof claims.fam === 'string' ? (csrfTokenFor?.(claims.fam) ?? null) : null, cookies.csrfHeader);
    const out = found.fromCookie ? responseOf(request, response, 'tokens.logout(request, response)') : response;
    await this.revoke(found.token, { allowExpired: true, family: true });
    loggedOut(this.config.events, claims);
    if (out !== undefined) clearLoginCookies(out, cookies);
    return true;
  }

  /**
   * Refuses every token of `sub` issued before this call resolves, access and refresh, on every
   * instance (cut-offs in milliseconds: a login right after it, in the same second too, works).
   * `{ except: family }` keeps one login (its `fam` claim): "log out my other devices".
   */
  async revokeAllForUser(sub: string | number, options: RevokeAllOptions = {}): Promise<void> {
    const signer = this.require().signer;
    if (options.except !== undefined && (typeof options.except !== 'string' || options.except.length === 0)) {
      throw new TypeError('revokeAllForUser: `except` must be a login family (the `fam` claim of one of its tokens)');
    }
    const expiresAt = Date.now() / 1000 + Math.max(signer.maxSessionAge, signer.refreshTtl);
    const write = (cutoff: number): Promise<void> =>
      this.guard(() => this.store.revokeAllForUser(String(sub), cutoff, expiresAt, { ...options }));
    const cutoff = Date.now();
    await write(cutoff);
    // A refresh that passed its last check while this write was in flight dated its pair before
    // the write landed: raise the cut-off to now, so that pair is refused too.
    const after = Date.now();
    if (after > cutoff) await write(after);
    // Resolve once the clock is past the cut-off: a token issued after this call is dated after it.
    while (Date.now() <= after) await new Promise((resolve) => setTimeout(resolve, 1));
    this.config.events.emit({ type: 'logout.all', userId: String(sub), except: options.except ?? null });
  }

  /**
   * Sets the access and refresh tokens as HttpOnly cookies (`Max-Age` = lifetime, the
   * refresh cookie scoped to `refreshPath`) and the page-readable CSRF cookie bound to this
   * login, on the response `@Res({ passthrough: true })` gives (Express or Fastify).
   */
  setAuthCookies(response: CookieResponse, pair: TokenPair): void {
    const signer = this.require().signer;
    const claims = signer.verify(pair.access_token);
    const family = typeof claims.fam === 'string' ? claims.fam : String(claims.jti);
    const { cookies, csrfTokenFor } = this.config.credentials;
    if (csrfTokenFor === undefined) throw TokenSigner.missing();
    writeLoginCookies(response, cookies, {
      access: pair.access_token,
      refresh: pair.refresh_token,
      csrf: csrfTokenFor(family),
      accessTtl: signer.accessTtl,
      refreshTtl: signer.refreshTtl,
    });
  }

  /** Expires the access, refresh and CSRF cookies (a logout). */
  clearAuthCookies(response: CookieResponse): void {
    this.require();
    clearLoginCookies(response, this.config.credentials.cookies);
  }

  /** The user a refresh issues for: the loader's current one, or (no loader) the one the token describes. */
  private async currentUser(claims: JwtPayload, login: Login): Promise<AuthUser> {
    const fromToken = userFromClaims(claims);
    if (fromToken === null) throw new TokenClaimsInvalidError('The refresh token names no user');
    const load = this.config.loadUser;
    if (load === undefined) return fromToken;
    const loaded = await load(contextFrom(toResult(claims), 'jwt'));
    if (loaded === null) {
      await this.guard(() => this.store.revokeFamily(login.family, this.revocationExpiry()));
      throw new UserInactiveError('The user no longer exists or is disabled: the login is ended');
    }
    // The token's `sub` stays the identity; the loader gives the fields, flags only when exactly `true`.
    const { isStaff, isSuperuser, permissions, roles } = resultFromUser(loaded, fromToken.id as string);
    const username = (loaded as { username?: unknown }).username;
    const current = { id: fromToken.id, ...(typeof username === 'string' ? { username } : {}), isStaff, isSuperuser, permissions };
    return roles === undefined ? current : { ...current, roles };
  }

  /** Revokes the family of a token until the last of its tokens can have expired (nothing when the login is over). */
  private async endLogin(claims: JwtPayload): Promise<void> {
    const login = loginOf(claims);
    if (login === undefined) return;
    const until = Math.min(this.revocationExpiry(), login.authTime + this.require().signer.maxSessionAge);
    if (until <= Date.now() / 1000) return;
    await this.guard(() => this.store.revokeFamily(login.family, Math.max(until, claims.exp as number)));
  }

  /** Until when a revocation is kept: the longest a token issued now can live. */
  private revocationExpiry(): number {
    const signer = this.require().signer;
    return Math.floor(Date.now() / 1000) + Math.max(signer.accessTtl, signer.refreshTtl);
  }

  private require(): TokenIssuer {
    if (this.issuer === undefined) throw TokenSigner.missing();
    return this.issuer;
  }

  /** Store failure → 503 `auth_unavailable`: the one policy (auth.policy.ts `ask`). */
  private async guard<T>(operation: () => T | Promise<T>): Promise<T> {
    return ask('The revocation store did not answer', operation);
  }
}

/** The login a token belongs to: its family, `auth_time` (its `iat` when absent: an earlier version's token) and `ext`. */
function loginOf(claims: JwtPayload): Login | undefined {
  if (typeof claims.fam !== 'string') return undefined;
  // A token without a login time counts as a login at the epoch: past every session age.
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : typeof claims.iat === 'number' ? claims.iat : 0;
  const ext = claims.ext;
  const extraClaims = typeof ext === 'object' && ext !== null && !Array.isArray(ext) ? (ext as Record<string, unknown>) : {};
  return { family: claims.fam, authTime, extraClaims };
}
