/**
 * What the global guard stores on `request.context` once a request is authenticated,
 * read from the credential alone (no database access).
 */
export interface RequestContext {
  /** The authenticated principal (`sub` of a JWT, an API key's name, a session's user id), or `null`. */
  userId: string | null;
  isStaff: boolean;
  isSuperuser: boolean;
  /** Which backend authenticated the request: `'jwt'`, `'api_key'`, `'session'`, a custom name, or `null`. */
  authBackend: 'jwt' | 'api_key' | 'session' | (string & {}) | null;
  permissions: string[];
  /**
   * The roles the credential grants: a JWT's roles claim (where `JwtAuthentication`'s `roles`
   * option says), an API key's or a loaded user's `roles`; `[]` when none.
   */
  roles: string[];
  /** The OAuth2 scopes of a JWT (`scope`, space-separated, and `scp`, an array or a string); `[]` when none. */
  scopes: string[];
  /** Every claim of the credential (all JWT claims; what other backends provide). */
  claims: Record<string, unknown>;
}

/** What a backend returns when it authenticates a request; the guard fills in the rest. */
export interface AuthResult {
  userId: string | null;
  isStaff?: boolean;
  isSuperuser?: boolean;
  permissions?: string[];
  roles?: string[];
  scopes?: string[];
  claims?: Record<string, unknown>;
  /**
   * The user, when the backend already has it (a passport strategy, a session that had to
   * check it): `request.user` then resolves to it without calling `userLoader`.
   */
  user?: unknown;
}

/**
 * The user given to `TokenService` and built from claims when no `userLoader` is
 * configured. `id` becomes the token's `sub` (always a string).
 */
export interface AuthUser {
  id: string | number;
  username?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  permissions?: string[];
  /** Issued as the `roles` claim; read back into `request.context.roles`. */
  roles?: string[];
}
