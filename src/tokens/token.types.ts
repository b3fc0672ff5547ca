/** What a login or a refresh returns (the OAuth 2.0 token response, RFC 6749 §5.1). */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
}

/** Options of `TokenService.createAccessToken`. */
export interface AccessTokenOptions {
  /**
   * More claims. Naming a claim the service sets (`sub`, `username`, `is_staff`, `is_superuser`,
   * `permissions`, `iat`, `exp`, `nbf`, `jti`, `type`, `fresh`, `iss`, `aud`, `fam`, `auth_time`,
   * `iat_ms`, `ext`) is a `TypeError`.
   * @default {}
   */
  extraClaims?: Record<string, unknown>;
  /** Lifetime in seconds, at most `tokens.maxSessionAge`. @default tokens.accessTtl (3600) */
  expiresIn?: number;
  /** Whether the token comes from a login (`true`) rather than a refresh. @default false */
  fresh?: boolean;
}

/** Options of `TokenService.createTokenPair` and `createRefreshToken`: what a login carries to every token descended from it. */
export interface LoginOptions {
  /**
   * Claims added to the login's access tokens, the ones its refreshes issue included (the refresh
   * token carries them in its `ext` claim). Reserved names are a `TypeError`, as in
   * {@link AccessTokenOptions.extraClaims}.
   * @default {}
   */
  extraClaims?: Record<string, unknown>;
}

/** Options of `TokenService.revoke`. */
export interface RevokeOptions {
  /**
   * Revoke every token of the same login too (its family: access and refresh tokens): what a
   * logout wants. A token accepted through `allowExpired` always ends its login.
   * @default false
   */
  family?: boolean;
  /**
   * Accept a token past its `exp` (its signature and other claims are still checked), to end the
   * login of a client that only holds an expired access token.
   * @default false
   */
  allowExpired?: boolean;
}

/** Options of `TokenService.revokeAllForUser`. */
export interface RevokeAllOptions {
  /** A login family (`fam` claim) to keep: "log out my other devices". @default undefined (every login) */
  except?: string;
}
