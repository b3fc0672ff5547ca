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
  /** More claims; the registered ones (`sub`, `exp`, `iat`, `jti`, `type`, ...) cannot be overridden. */
  extraClaims?: Record<string, unknown>;
  /** Lifetime in seconds. @default tokens.accessTtl (3600) */
  expiresIn?: number;
  /** Whether the token comes from a login (`true`) rather than a refresh. @default false */
  fresh?: boolean;
}
