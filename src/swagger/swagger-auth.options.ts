/**
 * An OAuth2 password-flow scheme for Swagger UI's Authorize button: it posts
 * `grant_type=password&username=…&password=…` (`application/x-www-form-urlencoded`) to
 * `tokenUrl` and sends the `access_token` of the JSON answer as `Authorization: Bearer …`.
 * The login route must accept that form and answer `{ access_token, token_type }`, as
 * `TokenService.createTokenPair()` does.
 */
export interface SwaggerOAuth2PasswordOptions {
  /** The URL of the app's login route, absolute or relative to the page (e.g. `'/auth/login'`). Required. */
  tokenUrl: string;
  /**
   * The scheme's key in `components.securitySchemes`.
   * @default 'oauth2'
   */
  name?: string;
}

/** Options of {@link applySwaggerAuth}. */
export interface SwaggerAuthOptions {
  /**
   * Declares an OAuth2 password-flow scheme and offers it on every operation that accepts
   * a bearer token (an `http` `bearer` scheme, as `JwtAuthentication` declares), next to it.
   * @default undefined (no OAuth2 scheme)
   */
  oauth2?: SwaggerOAuth2PasswordOptions;
  /**
   * Give the same value as to `SwaggerModule.createDocument(app, config, { ignoreGlobalPrefix })`:
   * the document's paths then lack the global prefix, and operations are matched without it.
   * @default false
   */
  ignoreGlobalPrefix?: boolean;
}
