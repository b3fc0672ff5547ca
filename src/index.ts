export { AuthModule } from './auth.module.js';
export type {
  LoginRedirectOptions,
  AuthModuleOptions,
  WebSocketOptions,
  AuthenticationBackendRef,
  TokenOptions,
  TokenCookieOptions,
  UserLoader,
  UserLoaderFn,
} from './auth.options.js';
export {
  AuthError,
  InvalidRequestError,
  CredentialsMissingError,
  TokenMalformedError,
  TokenInvalidError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenClaimsInvalidError,
  TokenRevokedError,
  TokenReusedError,
  ApiKeyInvalidError,
  SessionInvalidError,
  UserInactiveError,
  PermissionDeniedError,
  FreshTokenRequiredError,
  CsrfFailedError,
  AuthUnavailableError,
  type AuthErrorCode,
  type AuthErrorBody,
} from './auth.errors.js';

export type {
  AuthenticationBackend,
  BackendSetup,
  CookieAuthResult,
  OpenApiSecurityScheme,
} from './backends/authentication-backend.interface.js';
export { JwtAuthentication, type JwtAuthenticationOptions } from './backends/jwt.backend.js';
export type { JwtVerifierOptions } from './jwt/token-verifier.js';
export {
  ApiKeyAuthentication,
  type ApiKeyAuthenticationOptions,
  type ApiKeyGrant,
  type ApiKeyValidator,
} from './backends/api-key.backend.js';
export { SessionAuthentication, type SessionAuthenticationOptions } from './backends/session.backend.js';
export { loginSession, logoutSession, type LoginSessionOptions, type LogoutSessionOptions } from './sessions/session.helpers.js';
export { readCookie } from './credentials/cookie-reader.js';
export {
  PassportAuthentication,
  type PassportAuthenticationOptions,
  type PassportStrategyLike,
  type PassportStrategyActions,
} from './backends/passport.backend.js';
export type { JwtAlgorithm, KeyInput } from './jwt/jwt-algorithms.js';

export type { RequestContext, AuthResult, AuthUser } from './context/request-context.interface.js';
export type { AuthRequest } from './context/auth-request.interface.js';
export { AuthContextService } from './context/auth-context.service.js';

export { Public } from './decorators/public.decorator.js';
export { Auth, type AuthOptions } from './decorators/auth.decorator.js';
export { Permissions } from './decorators/permissions.decorator.js';
export { CurrentUser } from './decorators/current-user.decorator.js';
export { AuthContext } from './decorators/auth-context.decorator.js';

export type { Guard } from './guards/guard.interface.js';
export {
  PermissionGuard,
  IsAuthenticated,
  AllowAny,
  IsAdmin,
  IsStaff,
  IsFresh,
  HasPermission,
  HasAnyPermission,
  HasAllPermissions,
} from './guards/permission.guards.js';
export { WardenGuard } from './guards/warden.guard.js';
export { AuthenticatedWithin, RequiresAcr } from './guards/step-up.guards.js';
export { InsufficientUserAuthenticationError, type StepUpChallenge } from './auth.errors.js';

export { RevocationStore, type RevocationQuery } from './revocation/revocation.store.js';
export { InMemoryRevocation, type InMemoryRevocationOptions } from './revocation/in-memory-revocation.store.js';
// RedisRevocation is on the `nestjs-warden/redis` subpath (src/redis/): this entry never loads ioredis.
export { CacheRevocation, type CacheRevocationOptions, type CacheLike } from './revocation/cache-revocation.store.js';

export { TokenService } from './tokens/token.service.js';
export type { CookieResponse } from './credentials/cookie-writer.js';
export type { TokenPair, AccessTokenOptions, LoginOptions, RevokeOptions, RevokeAllOptions } from './tokens/token.types.js';

export { applySwaggerAuth, type OpenApiDocumentLike } from './swagger/apply-swagger-auth.js';
export type { SwaggerAuthOptions, SwaggerOAuth2PasswordOptions } from './swagger/swagger-auth.options.js';

export { withCredentials, CREDENTIALS_KEY, type CredentialEnvelope } from './contexts/rpc-envelope.js';

export { securityReport } from './report/security-report.js';
export { formatSecurityReport } from './report/format-security-report.js';
export type { RouteSecurity, RouteTransport } from './report/route-security.interface.js';

export { Roles } from './decorators/roles.decorator.js';
export { Scopes } from './decorators/scopes.decorator.js';
export { HasRole, HasAnyRole, HasAllRoles, HasScope, HasAnyScope, HasAllScopes } from './guards/role.guards.js';
export { UserPassesTest, type UserTest } from './guards/user-passes-test.guard.js';
export { RoleClaims, type ClaimMapping, type ClaimsMappingOptions } from './jwt/claims-mapping.js';

export { AuthEvents } from './events/auth-events.js';
export type * from './events/auth-event.interface.js';
export { keepWsHandshake } from './contexts/ws-handshakes.js';
