import type { INestApplicationContext } from '@nestjs/common';
import { AuthConfig } from '../auth.config.js';
import { WardenGuard } from '../guards/warden.guard.js';
import { TokenService } from '../tokens/token.service.js';
import type { TokenPair } from '../tokens/token.types.js';
import { TestWardenGuard } from './override-authentication.js';
import { encodeTestUser, testUser, TEST_USER_HEADER, type TestUser } from './test-user.js';

/** Options of {@link mintToken}: the user's fields to set or replace, and the token's own. */
export interface MintTokenOptions {
  /** Replaces the user's `roles`. */
  roles?: string[];
  /** Replaces the user's `permissions`. */
  permissions?: string[];
  /** Replaces the user's `scopes` (issued as the `scope` claim). */
  scopes?: string[];
  /**
   * Seconds until the token expires.
   * @default tokens.accessTtl
   */
  expiresIn?: number;
  /**
   * Whether the token is fresh (`IsFresh()` passes), as a login's is.
   * @default true
   */
  fresh?: boolean;
  /** Extra claims (the ones `TokenService` sets itself are refused with a `TypeError`). */
  claims?: Record<string, unknown>;
}

/** Options of {@link authAs}. */
export interface AuthAsOptions extends MintTokenOptions {
  /**
   * The header the token goes in, as the app's `JwtAuthentication` reads it.
   * @default 'authorization'
   */
  header?: string;
  /**
   * The scheme before the token.
   * @default 'Bearer'
   */
  scheme?: string;
}

/**
 * Signs an access token for `user` with the app's own `tokens` configuration (its
 * `TokenService`), so the app's `JwtAuthentication` accepts it as it accepts a login's.
 * `app` is the application or the compiled `TestingModule`.
 *
 * @example
 * ```ts
 * const token = await mintToken(app, { id: 1, roles: ['admin'] }, { expiresIn: 60 });
 * ```
 */
export async function mintToken(
  app: INestApplicationContext,
  user: TestUser | string | number,
  options: MintTokenOptions = {},
): Promise<string> {
  const { tokens, user: subject, extraClaims } = prepare(app, user, options, 'mintToken');
  return tokens.createAccessToken(subject, { extraClaims, fresh: options.fresh ?? true, expiresIn: options.expiresIn });
}

/** An access and a refresh token for `user`, as a login issues them (`TokenService.createTokenPair`). */
export async function mintTokenPair(
  app: INestApplicationContext,
  user: TestUser | string | number,
  options: Pick<MintTokenOptions, 'roles' | 'permissions' | 'scopes' | 'claims'> = {},
): Promise<TokenPair> {
  const { tokens, user: subject, extraClaims } = prepare(app, user, options, 'mintTokenPair');
  return tokens.createTokenPair(subject, { extraClaims });
}

/**
 * The headers that authenticate a request as `user`, for supertest's `.set()`: a token minted
 * with {@link mintToken}, or, in an app built with `overrideAuthentication`, the test user
 * header (then `null` makes the request anonymous even with a default user).
 *
 * @example
 * ```ts
 * await request(app.getHttpServer()).get('/orders').set(await authAs(app, { id: 1, roles: ['clerk'] })).expect(200);
 * ```
 */
export async function authAs(
  app: INestApplicationContext,
  user: TestUser | string | number | null,
  options: AuthAsOptions = {},
): Promise<Record<string, string>> {
  if (usesTestAuthentication(app)) {
    const merged = user === null ? null : { ...testUser(user, 'authAs'), ...fields(options) };
    return { [TEST_USER_HEADER]: encodeTestUser(merged) };
  }
  if (user === null) return {};
  const token = await mintToken(app, user, options);
  return { [(options.header ?? 'authorization').toLowerCase()]: `${options.scheme ?? 'Bearer'} ${token}` };
}

function usesTestAuthentication(app: INestApplicationContext): boolean {
  try {
    return app.get(WardenGuard, { strict: false }) instanceof TestWardenGuard;
  } catch {
    return false;
  }
}

function fields(options: MintTokenOptions): Partial<TestUser> {
  const { roles, permissions, scopes, claims } = options;
  return {
    ...(roles === undefined ? {} : { roles }),
    ...(permissions === undefined ? {} : { permissions }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(claims === undefined ? {} : { claims }),
  };
}

function prepare(
  app: INestApplicationContext,
  given: TestUser | string | number,
  options: MintTokenOptions,
  where: string,
): { tokens: TokenService; user: TestUser; extraClaims: Record<string, unknown> } {
  let config: AuthConfig;
  try {
    config = app.get(AuthConfig, { strict: false });
  } catch (cause) {
    throw new TypeError(`${where}: the app has no AuthModule (pass the application or the compiled TestingModule)`, { cause });
  }
  if (config.signer === undefined) {
    throw new TypeError(
      `${where}: this app has no \`tokens\` in AuthModule options, so it cannot sign tokens; for an app that verifies another ` +
        "issuer's tokens, sign them with a test issuer (startTestIssuer(), configured as the app's jwksUri or publicKey), " +
        'or replace authentication with overrideAuthentication()',
    );
  }
  const { scopes, claims, ...user } = { ...testUser(given, where), ...fields(options) };
  const scope = Array.isArray(scopes) && scopes.length > 0 ? { scope: scopes.join(' ') } : {};
  return { tokens: app.get(TokenService, { strict: false }), user: user as TestUser, extraClaims: { ...claims, ...scope } };
}
