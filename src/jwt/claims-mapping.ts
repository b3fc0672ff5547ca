import { TokenClaimsInvalidError } from '../auth.errors.js';
import type { JwtPayload } from './jwt-verifier.js';

/**
 * Where a JWT carries a list (its roles, its scopes): a claim name, or a dot path into nested
 * claims (`'realm_access.roles'`); a path given as a list of names, for names that hold dots
 * (`['https://example.com/roles']`, `['resource_access', 'my-api', 'roles']`); or a function
 * of the verified claims. Whatever it finds, only strings are kept.
 */
export type ClaimMapping = string | readonly string[] | ((claims: Readonly<JwtPayload>) => unknown);

/** Options of `JwtAuthentication` that say where roles and scopes are read (checked at start-up). */
export interface ClaimsMappingOptions {
  /**
   * Where the token's roles are (`request.context.roles`): only an array counts, and only its
   * strings (a lone string or an object is no roles). Presets for the usual providers:
   * {@link RoleClaims}.
   * @default 'roles'
   */
  roles?: ClaimMapping;
  /**
   * Where the token's OAuth2 scopes are (`request.context.scopes`): a space-separated string or
   * an array of strings.
   * @default `scope` (RFC 8693, a string) and `scp` (an array or a string), both read
   */
  scopes?: ClaimMapping;
}

/** Reads roles and scopes from verified claims, as the options said. */
export interface ClaimsMapping {
  roles(claims: Readonly<JwtPayload>): string[];
  scopes(claims: Readonly<JwtPayload>): string[];
}

/**
 * Where the usual identity providers put roles, for `JwtAuthentication`'s `roles` option.
 *
 * @example
 * ```ts
 * new JwtAuthentication({ jwksUri, algorithms: ['RS256'], roles: RoleClaims.keycloak('orders-api') })
 * ```
 */
export const RoleClaims = {
  /** Keycloak realm roles: `realm_access.roles`. */
  keycloakRealm: (): ClaimMapping => ['realm_access', 'roles'],
  /** Keycloak client roles of one client: `resource_access.<clientId>.roles`. */
  keycloakClient: (clientId: string): ClaimMapping => ['resource_access', nonEmpty(clientId, 'RoleClaims.keycloakClient'), 'roles'],
  /** Keycloak realm roles and the client roles of `clientId`, together. */
  keycloak: (clientId: string): ClaimMapping => {
    const client = ['resource_access', nonEmpty(clientId, 'RoleClaims.keycloak'), 'roles'];
    return (claims) => [...listAt(claims, ['realm_access', 'roles']), ...listAt(claims, client)];
  },
  /** A namespaced claim, as Auth0 rules and actions add them: `'https://example.com/roles'`. */
  namespaced: (claim: string): ClaimMapping => [nonEmpty(claim, 'RoleClaims.namespaced')],
  /** Azure AD (Entra ID) app roles: the `roles` claim. */
  azureAd: (): ClaimMapping => ['roles'],
};

const DEFAULT_ROLES: readonly string[] = ['roles'];

/** The mapping a `JwtAuthentication` without `roles`/`scopes` uses (and `TokenService` reads its own tokens with). */
export const DEFAULT_CLAIMS_MAPPING: ClaimsMapping = {
  roles: (claims) => unique(listAt(claims, DEFAULT_ROLES)),
  scopes: (claims) => unique([...strings(claims.scope, true), ...strings(claims.scp, true)]),
};

/**
 * The mapping of a backend's options, checked once: a bad `roles` or `scopes` is a `TypeError`
 * naming the fix (a URL-like claim name written as a dot path would silently find nothing).
 * A mapping function that throws on a token refuses that token: 401 `token_claims_invalid`.
 */
export function claimsMapping(options: ClaimsMappingOptions, what: string): ClaimsMapping {
  if (options.roles === undefined && options.scopes === undefined) return DEFAULT_CLAIMS_MAPPING;
  const roles = options.roles === undefined ? DEFAULT_CLAIMS_MAPPING.roles : reader(options.roles, `${what}: \`roles\``, false);
  const scopes = options.scopes === undefined ? DEFAULT_CLAIMS_MAPPING.scopes : reader(options.scopes, `${what}: \`scopes\``, true);
  return { roles, scopes };
}

function reader(mapping: ClaimMapping, where: string, splitString: boolean): (claims: Readonly<JwtPayload>) => string[] {
  if (typeof mapping === 'function') {
    return (claims) => {
      let found: unknown;
      try {
        found = mapping(claims);
      } catch (cause) {
        const error = new TokenClaimsInvalidError('The token roles or scopes could not be read');
        error.cause = cause;
        throw error;
      }
      return unique(strings(found, splitString));
    };
  }
  const path = pathOf(mapping, where);
  return (claims) => unique(strings(at(claims, path), splitString));
}

function pathOf(mapping: unknown, where: string): readonly string[] {
  const example = "e.g. 'roles', 'realm_access.roles', ['https://example.com/roles'] or RoleClaims.keycloakRealm()";
  if (typeof mapping === 'string') {
    if (mapping.includes('/')) {
      throw new TypeError(
        `${where}: '${mapping}' reads as a dot path; for a claim whose name holds dots (a namespaced claim) ` +
          `write ['${mapping}'] or RoleClaims.namespaced('${mapping}')`,
      );
    }
    return checkPath(mapping.split('.'), where, example);
  }
  if (Array.isArray(mapping)) return checkPath([...(mapping as unknown[])], where, example);
  throw new TypeError(`${where} must be a claim name, a path or a function of the claims, ${example}`);
}

function checkPath(path: unknown[], where: string, example: string): readonly string[] {
  if (path.length === 0 || path.some((name) => typeof name !== 'string' || name === '')) {
    throw new TypeError(`${where} has an empty or non-string claim name, ${example}`);
  }
  return Object.freeze(path as string[]);
}

/** The value at `path` in the claims, own properties only (never a prototype's). */
function at(claims: Readonly<JwtPayload>, path: readonly string[]): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

function listAt(claims: Readonly<JwtPayload>, path: readonly string[]): string[] {
  return strings(at(claims, path), false);
}

/** The strings of an array (a copy), or of a space-separated string when `splitString`; anything else is none. */
function strings(value: unknown, splitString: boolean): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  if (splitString && typeof value === 'string') return value.split(/\s+/).filter((item) => item !== '');
  return [];
}

function unique(values: string[]): string[] {
  return values.length < 2 ? values : [...new Set(values)];
}

function nonEmpty(value: string, where: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${where}() needs a non-empty name`);
  return value;
}
