import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuthConfig } from '../auth.config.js';
import { AuthError, AuthUnavailableError, TokenClaimsInvalidError, TokenReusedError, TokenRevokedError } from '../auth.errors.js';
import type { AuthUser } from '../context/request-context.interface.js';
import { clearLoginCookies, writeLoginCookies, type CookieResponse } from '../credentials/cookie-writer.js';
import { revocationQuery, userFromClaims } from '../jwt/jwt-claims.js';
import type { JwtPayload } from '../jwt/jwt-verifier.js';
import { TokenSigner } from '../jwt/token-signer.js';
import { RevocationStore } from '../revocation/revocation.store.js';
import type { AccessTokenOptions, TokenPair } from './token.types.js';

const REGISTERED = new Set(['sub', 'iat', 'exp', 'nbf', 'jti', 'iss', 'aud', 'type', 'fresh', 'fam']);

/**
 * Issues, refreshes, verifies and revokes tokens, as configured by `tokens` in
 * `AuthModule.forRoot()`. Refresh tokens rotate: each is accepted once, and a second use
 * revokes its whole login family.
 */
@Injectable()
export class TokenService {
  private readonly signer: TokenSigner | undefined;

  constructor(
    private readonly config: AuthConfig,
    private readonly store: RevocationStore,
  ) {
    this.signer = config.signer;
  }

  /** Signs an access token for `user` (claims: sub, username, is_staff, is_superuser, permissions, iat, exp, jti, type, fresh). */
  createAccessToken(user: AuthUser, options: AccessTokenOptions = {}): string {
    return this.issueAccess(user, options, randomUUID());
  }

  /** Signs a refresh token for `user`, starting a new login family. */
  createRefreshToken(user: AuthUser): string {
    return this.issueRefresh(user, randomUUID());
  }

  /** What a login returns: a fresh access token and a refresh token of a new family. */
  createTokenPair(user: AuthUser): TokenPair {
    return this.pair(user, randomUUID(), true);
  }

  /**
   * Exchanges a refresh token for a new pair (non-fresh access token). The old refresh
   * token is consumed atomically in the shared store; presenting it again revokes its
   * family and throws `TokenReusedError` (401 `token_reused`).
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const signer = this.requireSigner();
    const claims = signer.verify(refreshToken);
    if (claims.type !== 'refresh') throw new TokenClaimsInvalidError('Only a refresh token is accepted here');
    const family = typeof claims.fam === 'string' ? claims.fam : undefined;
    if (family === undefined) throw new TokenClaimsInvalidError('The refresh token has no family');
    if (await this.guard(() => this.store.isRevoked(revocationQuery(claims), { fresh: true }))) throw new TokenRevokedError();
    const next = randomUUID();
    if (!(await this.guard(() => this.store.rotate(family, claims.jti as string, next, this.familyExpiry())))) {
      await this.guard(() => this.store.revokeFamily(family, this.familyExpiry()));
      throw new TokenReusedError();
    }
    // The user's cut-off is checked again once consumed, and the pair dated before that check: a
    // logout-all that landed meanwhile is seen here, one landing later has a cut-off at or after
    // `issuedAt`. (A family revocation needs no second look: the new pair carries the family.)
    const issuedAt = Math.floor(Date.now() / 1000);
    const { sub, iat } = revocationQuery(claims);
    if (await this.guard(() => this.store.isRevoked({ sub, iat }, { fresh: true }))) throw new TokenRevokedError();
    const user = userFromClaims(claims);
    if (user === null) throw new TokenClaimsInvalidError('The refresh token names no user');
    return this.pair(user, family, false, { issuedAt, refreshJti: next });
  }

  /**
   * Verifies a token issued by this service and checks that it is not revoked; returns
   * its claims. Throws the `AuthError` that names the failure.
   */
  async verify(token: string): Promise<JwtPayload> {
    const claims = this.requireSigner().verify(token);
    if (await this.guard(() => this.store.isRevoked(revocationQuery(claims), { fresh: true }))) throw new TokenRevokedError();
    return claims;
  }

  /**
   * Revokes a token (given whole, or by its `jti`). With `{ family: true }` every token of
   * the same login goes too: what a logout wants.
   */
  async revoke(tokenOrJti: string, options: { family?: boolean } = {}): Promise<void> {
    const signer = this.requireSigner();
    if (!tokenOrJti.includes('.')) {
      await this.guard(() => this.store.revoke(tokenOrJti, this.familyExpiry()));
      return;
    }
    const claims = signer.verify(tokenOrJti);
    const exp = claims.exp as number;
    await this.guard(() => this.store.revoke(claims.jti as string, exp));
    if (options.family === true && typeof claims.fam === 'string') {
      await this.guard(() => this.store.revokeFamily(claims.fam as string, this.familyExpiry()));
    }
  }

  /** Refuses every token of `sub` issued at or before the current second (access and refresh). */
  async revokeAllForUser(sub: string | number): Promise<void> {
    this.requireSigner();
    const now = Math.floor(Date.now() / 1000);
    await this.guard(() => this.store.revokeAllForUser(String(sub), now, this.familyExpiry()));
    // A refresh that passed its last check while this write was in flight dated its pair up to
    // the current second: raise the cut-off to it, so that pair is refused too.
    const after = Math.floor(Date.now() / 1000);
    if (after > now) await this.guard(() => this.store.revokeAllForUser(String(sub), after, this.familyExpiry()));
  }

  /**
   * Sets the access and refresh tokens as HttpOnly cookies (`Max-Age` = lifetime, the
   * refresh cookie scoped to `refreshPath`) and the page-readable CSRF cookie bound to this
   * login, on the response `@Res({ passthrough: true })` gives (Express or Fastify).
   */
  setAuthCookies(response: CookieResponse, pair: TokenPair): void {
    const signer = this.requireSigner();
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
    this.requireSigner();
    clearLoginCookies(response, this.config.credentials.cookies);
  }

  private pair(user: AuthUser, family: string, fresh: boolean, minted?: { issuedAt: number; refreshJti: string }): TokenPair {
    const signer = this.requireSigner();
    return {
      access_token: this.issueAccess(user, { fresh }, family, minted?.issuedAt),
      refresh_token: this.issueRefresh(user, family, minted),
      token_type: 'bearer',
      expires_in: signer.accessTtl,
    };
  }

  private issueAccess(user: AuthUser, options: AccessTokenOptions, family: string, issuedAt?: number): string {
    const signer = this.requireSigner();
    const ttl = options.expiresIn ?? signer.accessTtl;
    if (!Number.isInteger(ttl) || ttl <= 0) throw new TypeError('createAccessToken: `expiresIn` must be a whole number of seconds > 0');
    const extra = Object.fromEntries(Object.entries(options.extraClaims ?? {}).filter(([name]) => !REGISTERED.has(name)));
    return signer.sign({ ...extra, ...this.base(user, ttl, issuedAt), type: 'access', fresh: options.fresh ?? false, fam: family });
  }

  private issueRefresh(user: AuthUser, family: string, minted?: { issuedAt: number; refreshJti: string }): string {
    const signer = this.requireSigner();
    return signer.sign({ ...this.base(user, signer.refreshTtl, minted?.issuedAt, minted?.refreshJti), type: 'refresh', fam: family });
  }

  private base(user: AuthUser, ttl: number, issuedAt?: number, jti?: string): JwtPayload {
    const signer = this.requireSigner();
    if (user === null || typeof user !== 'object' || (typeof user.id !== 'string' && typeof user.id !== 'number')) {
      throw new TypeError('TokenService: the user needs an `id` (string or number)');
    }
    const iat = issuedAt ?? Math.floor(Date.now() / 1000);
    return {
      sub: String(user.id),
      ...(user.username === undefined ? {} : { username: user.username }),
      is_staff: user.isStaff ?? false,
      is_superuser: user.isSuperuser ?? false,
      ...(user.permissions === undefined ? {} : { permissions: user.permissions }),
      iat,
      exp: iat + ttl,
      jti: jti ?? randomUUID(),
      ...(signer.issuer === undefined ? {} : { iss: signer.issuer }),
      ...(signer.audience === undefined ? {} : { aud: signer.audience }),
    };
  }

  private familyExpiry(): number {
    const signer = this.requireSigner();
    return Math.floor(Date.now() / 1000) + Math.max(signer.accessTtl, signer.refreshTtl);
  }

  private requireSigner(): TokenSigner {
    if (this.signer === undefined) throw TokenSigner.missing();
    return this.signer;
  }

  private async guard<T>(operation: () => T | Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthUnavailableError('The revocation store did not answer', { cause: error });
    }
  }
}
